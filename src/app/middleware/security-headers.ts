import type Koa from 'koa';

/** HSTS for a year, subdomains included: what an https app answers on PORT (raw-text-answer.ts too). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/**
 * Headers on every answer: no framing (except the front-channel logout page, which sets its own
 * `frame-ancestors`), no sniffing, and no Referer to other sites, so a URL never leaks out.
 * With `https` (PUBLIC_URL is https) HSTS too: browsers then never try this host over http.
 * Not `no-referrer`: with it browsers send `Origin: null` on same-origin form posts, which the
 * sign-out form's CSRF check must refuse.
 * `form-action` allows this site and any https site: the sign-out forms end with a redirect to the
 * provider's end-session endpoint, Chrome applies form-action to every redirect that follows a form
 * submission (https://www.w3.org/TR/CSP3/#directive-form-action, "including redirects"), and a
 * provider's sign-out may pass the browser on to hosts no discovery names (an upstream identity
 * provider it federates with, as Keycloak's brokering, Okta's, or Entra's for a federated domain),
 * then back here. Only the provider's own origins allowed, Chrome stopped such a sign-out
 * part-way: the user stayed on a page that said they were signed in, and at the upstream provider.
 */
export function securityHeaders(options: { https: boolean }): Koa.Middleware {
  const csp = contentSecurityPolicy();
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.https) ctx.set('Strict-Transport-Security', STRICT_TRANSPORT_SECURITY);
    await next();
  };
}

function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "form-action 'self' https:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * Lets only `origins` (space-separated) frame this answer (the provider's sign-out page loads it in
 * an iframe). Its refusals are the app's pages, with their stylesheet and icon: allowed, or the
 * page shows unstyled with console errors.
 */
export function allowFramingBy(ctx: Koa.Context, origins: string): void {
  ctx.remove('X-Frame-Options');
  ctx.set('Content-Security-Policy', `default-src 'none'; style-src 'self'; img-src data:; frame-ancestors ${origins}`);
}

/**
 * Personal or one-time answers must never be stored by a browser or proxy. `no-cache, no-store`,
 * the value the logout specifications give (Front-Channel Logout 1.0 §2, Back-Channel Logout 1.0
 * §2.8), on every such answer; `no-store` alone would do for a cache that knows it.
 */
export function noStore(ctx: Koa.Context): void {
  ctx.set('Cache-Control', 'no-cache, no-store');
  ctx.set('Pragma', 'no-cache');
}
