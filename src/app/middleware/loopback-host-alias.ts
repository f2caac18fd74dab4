import type Koa from 'koa';
import { isLoopbackHostname } from '../../adapters/oidc/secure-url.ts';
import { noStore } from './security-headers.ts';

/**
 * On a developer's machine (PUBLIC_URL on a loopback host, no proxy): a page asked for by another
 * loopback name on the same port (`127.0.0.1:3000` where PUBLIC_URL is `localhost:3000`) is sent to
 * the same path on PUBLIC_URL first. Otherwise its sign-in sets the pending sign-in cookie for that
 * host, the provider returns the browser to PUBLIC_URL's, which never receives it (a browser keeps
 * cookies by host name), and a sign-in that went well ends in "No sign-in is in progress in this
 * browser". Any other host is left alone: in front of a deployed app, a proxy may send its own.
 * Mounted where httpsOnly is, after the routes that set no cookie. A GET or HEAD only; 302, not
 * stored.
 */
export function loopbackHostAlias(publicUrl: string): Koa.Middleware {
  const canonical = new URL(publicUrl);
  // One host is asked for again and again (each browser's): its answer is kept, not worked out anew.
  let lastHost: string | undefined;
  let lastIsAlias = false;
  return (ctx, next) => {
    const host = ctx.get('host');
    if (host !== lastHost) {
      lastHost = host;
      lastIsAlias = isLoopbackAlias(host, canonical);
    }
    if (!lastIsAlias || (ctx.matched?.length ?? 0) > 0 || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || !ctx.originalUrl.startsWith('/')) return next();
    ctx.redirect(`${canonical.origin}${ctx.originalUrl}`);
    noStore(ctx);
  };
}

function isLoopbackAlias(host: string, canonical: URL): boolean {
  let asked: URL;
  try {
    asked = new URL(`${canonical.protocol}//${host}`);
  } catch {
    return false;
  }
  return asked.hostname !== canonical.hostname && asked.port === canonical.port && isLoopbackHostname(asked.hostname);
}
