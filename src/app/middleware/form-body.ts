import { bodyParser } from '@koa/bodyparser';
import type Koa from 'koa';

/**
 * A form body (`application/x-www-form-urlencoded`) into `ctx.request.body`, by @koa/bodyparser,
 * with a body it cannot read answered as the client's mistake: a `Content-Encoding` it does not
 * decode is a 415 (RFC 9110 §15.5.16), a body that does not decompress a 400. The parser's errors
 * for these carry a 415 without `expose` (inflation,
 * https://github.com/stream-utils/inflation/blob/master/index.js) or, from zlib, no status at all:
 * each was a 500, logged as this server's fault, for any client that sent one.
 */
export function formBody(): Koa.Middleware {
  const parse = bodyParser({ enableTypes: ['form'] });
  return async (ctx, next) => {
    // Content codings are case-insensitive, and x-gzip is gzip (RFC 9110 §8.4.1, §8.4.1.3); the
    // parser's inflation compares them as written.
    const coding = ctx.req.headers['content-encoding'];
    if (coding !== undefined) ctx.req.headers['content-encoding'] = coding.trim().toLowerCase().replace(/^x-gzip$/, 'gzip');
    try {
      await parse(ctx, async () => {});
    } catch (error) {
      const { status, expose, code } = error as { status?: unknown; expose?: unknown; code?: unknown };
      if (expose === true) throw error;
      if (status === 415) ctx.throw(415, 'The request body is in an encoding this server does not read.', { cause: error });
      // zlib's codes: `Z_…` for gzip and deflate, `ERR__ERROR_…` for brotli (`br`, which inflation reads too).
      if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR_'))) ctx.throw(400, 'The request body could not be decompressed.', { cause: error });
      throw error;
    }
    await next();
  };
}
