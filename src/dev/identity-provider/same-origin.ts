import type { Context } from 'koa';

/**
 * Refuses a form POST another site made the browser send (login CSRF on the `common` sign-in
 * page, a page revoking a user's sessions): `Origin` is the provider's own when a browser sends
 * it; scripts and test clients that send no `Origin` are accepted (the server only listens on loopback).
 */
export function assertSameOrigin(ctx: Context): void {
  const origin = ctx.get('origin');
  const crossSite = ctx.get('sec-fetch-site') === 'cross-site' || (origin !== '' && URL.parse(origin)?.host !== ctx.host);
  if (crossSite) ctx.throw(403, 'cross-origin form posts are refused');
}
