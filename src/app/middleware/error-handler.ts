import type Koa from 'koa';
import {
  DomainError,
  DownstreamApiUnavailable,
  IdentityProviderUnavailable,
  InteractionRequired,
  StoreUnavailable,
} from '../../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { noStore } from './security-headers.ts';

/** Status for each domain error the user can meet; unknown errors are 500s. */
function statusOf(error: DomainError): number {
  if (error instanceof IdentityProviderUnavailable || error instanceof StoreUnavailable) return 503;
  if (error instanceof DownstreamApiUnavailable) return 502;
  if (error instanceof InteractionRequired) return 401;
  return 400;
}

/**
 * The one place errors become answers. 4xx show their message; 5xx show a request id and are
 * logged with it (request-context.ts gives both), never with a stack trace in the page.
 */
export function errorHandler(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404, 'There is no page at this address.');
    } catch (error) {
      const { status, message } = describe(error);
      if (status >= 500) logger.error({ path: ctx.path, err: error }, 'request failed');
      else logger.debug({ path: ctx.path, status, userMessage: message }, 'request refused');
      const requestId = ctx.state.requestId as string;
      ctx.status = status;
      noStore(ctx);
      if (ctx.state.answerInJson || ctx.accepts('html', 'json') === 'json') {
        // Error codes of RFC 6749 section 5.2, as OIDC Back-Channel Logout asks for.
        ctx.body = { error: status >= 500 ? 'server_error' : 'invalid_request', error_description: message, requestId };
      } else {
        await ctx.render('error', { status, message, requestId });
      }
    }
  };
}

function describe(error: unknown): { status: number; message: string } {
  if (error instanceof DomainError) return { status: statusOf(error), message: error.userMessage };
  const httpError = error as { status?: unknown; expose?: unknown; message?: unknown };
  // `expose` is true for 4xx by default (http-errors); a 5xx shows its message only when it says so.
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 600 && httpError.expose === true) {
    return { status: httpError.status, message: String(httpError.message) };
  }
  return { status: 500, message: 'Something went wrong on our side. Please try again.' };
}
