import type Koa from 'koa';
import { httpAnswerOf } from '../http-errors.ts';
import type { Logger } from '../observability/logger.ts';
import { noStore } from './security-headers.ts';

/**
 * Where errors become answers, by the one table in http-errors.ts. 4xx show their message; 5xx
 * show a request id and are logged with it (request-context.ts gives both), never a stack trace.
 *
 * `answer`: `negotiated` (the app's pages: an HTML page, or JSON for a client that prefers it) or
 * `json` (a route that only machines call, mounted in front of it: the back-channel Logout URL
 * answers the provider with RFC 6749 §5.2 error codes, as OpenID Connect Back-Channel Logout asks).
 */
export function errorHandler(logger: Logger, options: { answer?: 'negotiated' | 'json' } = {}): Koa.Middleware {
  const json = options.answer === 'json';
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404, 'There is no page at this address.');
    } catch (error) {
      const { status, message } = httpAnswerOf(error);
      if (status >= 500) logger.error({ path: ctx.path, err: error }, 'request failed');
      else logger.debug({ path: ctx.path, status, userMessage: message }, 'request refused');
      const requestId = ctx.state.requestId as string;
      ctx.status = status;
      noStore(ctx);
      if (json || ctx.accepts('html', 'json') === 'json') {
        ctx.body = { error: status >= 500 ? 'server_error' : 'invalid_request', error_description: message, requestId };
      } else {
        await ctx.render('error', { status, message, requestId });
      }
    }
  };
}
