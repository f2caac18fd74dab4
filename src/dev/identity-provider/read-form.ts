import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';

const LIMIT_BYTES = 16 * 1024;

type RequestWithBody = IncomingMessage & { body?: unknown };

/**
 * Reads an `application/x-www-form-urlencoded` request body once, and keeps the text on the
 * request (`req.body`) for every later reader: the `common` front door reads a token request to
 * route it, the tenant's middleware reads it again, and oidc-provider, finding the stream consumed,
 * parses `req.body` (its supported path for apps with an upstream body parser; it warns once):
 * https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/shared/selective_body.js
 */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams();
  const req = ctx.req as RequestWithBody;
  if (typeof req.body === 'string') return new URLSearchParams(req.body);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMIT_BYTES) ctx.throw(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  req.body = text;
  return new URLSearchParams(text);
}

/** Replaces the form the provider will see (after `readForm`). A string keeps repeated parameters repeated. */
export function replaceForm(ctx: Context, form: URLSearchParams): void {
  (ctx.req as RequestWithBody).body = form.toString();
}
