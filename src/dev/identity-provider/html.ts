import type { Context } from 'koa';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * Sends one of the provider's pages. Callers pass `body` already escaped. `no-store` because these
 * pages carry per-interaction form state (auth pages must never be cached). An empty icon, as the
 * app's pages declare: a browser would ask for /favicon.ico, and log the 404 as a console error.
 */
export function sendPage(ctx: Context, title: string, body: string, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} - Dev identity provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.5rem 0}.error{color:#b00020}.note{color:#555;font-size:.9rem}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}
