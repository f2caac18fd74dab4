import type Koa from 'koa';

/**
 * Behind the one proxy TRUST_PROXY trusts, the request's protocol is the last `X-Forwarded-Proto`
 * entry, the one that proxy added, as its client's address is the last `X-Forwarded-For` entry
 * (create-app.ts, `maxIpsCount: 1`). Koa takes the first (`get protocol()` in
 * https://github.com/koajs/koa/blob/master/lib/request.js; 3.3.0 here), which a client writes
 * itself when the proxy appends to the header rather than replacing it: `X-Forwarded-Proto: https`
 * sent over plain http was read as https. The header is narrowed to its last entry before Koa reads it.
 */
export function forwardedProtocolOfTheProxy(): Koa.Middleware {
  return (ctx, next) => {
    // Node joins a repeated header into one comma-separated value; String() reads an array the same way.
    const forwarded = ctx.req.headers['x-forwarded-proto'];
    if (forwarded !== undefined) ctx.req.headers['x-forwarded-proto'] = String(forwarded).split(',').at(-1)!.trim();
    return next();
  };
}
