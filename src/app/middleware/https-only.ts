import type Koa from 'koa';
import { noStore } from './security-headers.ts';

/**
 * Behind the proxy TRUST_PROXY trusts, with an https PUBLIC_URL: a request the proxy says came over
 * plain http (`X-Forwarded-Proto: http`, a load balancer's port-80 listener, a visitor typing
 * `http://`) is sent to the same path on PUBLIC_URL, as a browser would be by HSTS once it has seen
 * the site. Without it the sign-in refused such a request with a 500 (secure-transport.ts), logged
 * as an error for every such visitor.
 *
 * Only when the proxy names the protocol: without `X-Forwarded-Proto` the request either did not come
 * through the proxy or the proxy is misconfigured. Mounted after the health, stylesheet and provider
 * sign-out routes: a load balancer probes health over plain http, and none of those sets a cookie. Only a path goes
 * after the origin (a request target `*` or in absolute form is refused), so the redirect never
 * leaves PUBLIC_URL. A GET or HEAD is redirected with 308; anything else (a form posted over http)
 * is a 400, as its body is not sent on again.
 */
export function httpsOnly(publicOrigin: string): Koa.Middleware {
  return (ctx, next) => {
    // A path the routes before it answer (`ctx.matched`, set by @koa/router even when the method is
    // not one they take) goes on to their 405 or OPTIONS answer, not to "HTTPS only".
    if (ctx.secure || (ctx.matched?.length ?? 0) > 0) return next();
    // No protocol from the proxy at all: not a visitor on http, but a proxy that sends none (a
    // redirect to the same https address would loop). The sign-in's 500 names the header.
    if (!ctx.get('X-Forwarded-Proto')) return next();
    const target = ctx.originalUrl;
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !target.startsWith('/')) {
      return ctx.throw(400, `This site answers over HTTPS only: ${publicOrigin}`);
    }
    ctx.status = 308;
    ctx.redirect(`${publicOrigin}${target}`);
    // A 308 is cacheable by default (RFC 9110 §15.4.9), and the address may carry an authorization
    // code (the callback asked for over http): no cache on the plain-http leg may keep it.
    noStore(ctx);
  };
}
