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
/** raw-body's refusals by their `type` (https://github.com/stream-utils/raw-body/blob/master/index.js), as the app says them. */
const RAW_BODY_REFUSALS: Readonly<Record<string, { status: number; message: string }>> = {
  'entity.too.large': { status: 413, message: 'The form sent is larger than this site accepts.' },
  'request.size.invalid': { status: 400, message: 'The request body did not arrive whole: its length is not the one declared.' },
  'request.aborted': { status: 400, message: 'The request body did not arrive whole.' },
};

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
      const { status, expose, code, type } = error as { status?: unknown; expose?: unknown; code?: unknown; type?: unknown };
      // raw-body's own refusals are exposed, in its words ("request entity too large"): said in the app's.
      const said = typeof type === 'string' ? RAW_BODY_REFUSALS[type] : undefined;
      if (said) ctx.throw(said.status, said.message, { cause: error });
      if (expose === true) throw error;
      if (status === 415) ctx.throw(415, 'The request body is in an encoding this server does not read.', { cause: error });
      // zlib's codes: `Z_…` for gzip and deflate, `ERR__ERROR_…` for brotli (`br`, which inflation reads too).
      if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR_'))) ctx.throw(400, 'The request body could not be decompressed.', { cause: error });
      throw error;
    }
    await next();
  };
}
