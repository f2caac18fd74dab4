import { STATUS_CODES } from 'node:http';
import type Koa from 'koa';
import { DownstreamApiBusy, SignInFailed, SignInNotCompleted, SignInRejected, SignInServiceFailed, SignInUnverified, TokenCheckDeferred } from '../../domain/errors.ts';
import { httpAnswerOf, isServerFault } from '../http-errors.ts';
import type { Logger } from '../observability/logger.ts';
import { sameSitePath } from '../../domain/return-to.ts';
import { signInLocation } from '../sign-in-redirect.ts';
import { noStore } from './security-headers.ts';

/**
 * The provider's errors a plain interactive sign-in answers: `access_denied` (the user cancelled,
 * or may choose otherwise), and those OpenID Connect Core §3.1.2.6 defines for what the provider
 * needs the user for (`login_required`, `consent_required`, `interaction_required`,
 * `account_selection_required`; this app sends no `prompt=none`, but a provider may answer so).
 */
const ANSWERED_BY_SIGNING_IN_AGAIN: ReadonlySet<string> = new Set([
  // The token endpoint's, at redemption: a code expired, already used, or of another sign-in
  // (RFC 6749 §5.2). A new sign-in gets a new code, through the provider's session, no password.
  'invalid_grant',
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
]);

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
      if (ctx.body === undefined) refuseUnanswered(ctx);
      // @koa/router's `allowedMethods()` answers OPTIONS itself (200, `Allow`, an empty body),
      // with none of the caching headers every other answer carries, and the text/plain type Koa
      // gives an empty string body: there is no content to type.
      else if (ctx.method === 'OPTIONS') {
        noStore(ctx);
        if (ctx.body === '') ctx.remove('Content-Type');
      }
    } catch (error) {
      const answer = httpAnswerOf(error);
      const { message } = answer;
      // Back-Channel Logout 1.0 §2.8: a logout request the RP refuses is a 400, whatever is wrong
      // with it (a body too large, 413, or in an encoding not read, 415): the provider needs to know
      // it is not worth sending again, not which HTTP status names the fault best.
      const status = json && answer.status >= 400 && answer.status < 500 ? 400 : answer.status;
      const fault = isServerFault(status);
      // A token that cannot be checked yet is answered 503 (a genuine one is sent again), but it is
      // what forged tokens cause: not this server's failure, and not worth an alert.
      if (error instanceof TokenCheckDeferred) logger.warn({ path: ctx.path, reason: error.message }, 'token check deferred');
      // The provider's own failure, as its callback reports it: not this server's, and anyone
      // holding a fresh `state` can send such a callback. Not an error line (those are alerts).
      else if (error instanceof SignInServiceFailed) logger.warn({ path: ctx.path, reason: error.message }, 'sign-in failed at the provider');
      // The API busy or throttling (Graph's 429): its own state, not this server's fault, and while
      // it lasts every page view would be an alert.
      else if (error instanceof DownstreamApiBusy) logger.warn({ path: ctx.path, reason: error.message, retryAfterSeconds: error.retryAfterSeconds }, 'the API is busy');
      else if (fault) logger.error({ path: ctx.path, err: error }, 'request failed');
      else logger.debug({ path: ctx.path, status, userMessage: message }, 'request refused');
      const { requestId } = ctx.state;
      ctx.status = status;
      // A redirect the route set before it failed (the sign-out's to the provider, say, before the
      // session's cookie could not be written) is not part of an error answer. Koa's own handler
      // drops every header (`ctx.onerror`, https://github.com/koajs/koa/blob/master/lib/context.js);
      // this one keeps those set for every answer (request id, CSP, HSTS) and a refusal's own
      // (`Allow`, `Retry-After`).
      ctx.remove('Location');
      noStore(ctx);
      // The API's own word on when to try again, passed on (RFC 9110 §10.2.3).
      if (error instanceof DownstreamApiBusy && error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
      if (json || ctx.accepts('html', 'json') === 'json') {
        // A 501 (a method no route takes) is the client's doing, as isServerFault says.
        ctx.body = { error: fault ? 'server_error' : 'invalid_request', error_description: message, requestId };
      } else {
        // A sign-in the app or the provider refused: the provider's own session would sign the same
        // account in again at once (a tenant not allowed, say), so the page offers another account.
        const anotherAccount = error instanceof SignInUnverified || error instanceof SignInFailed;
        // A sign-in that cannot go on (none in progress, expired, tampered with, failed at the
        // provider's end, or cancelled there) asks the user to start again: the page gives them the way to.
        // On the sign-in routes, so does every other failure but a refused account, which the
        // provider's own session would sign in and have refused again: the provider out of reach
        // (its pending sign-in is spent: reloading the callback cannot work), a link or a response
        // the app refuses.
        const signInAgain =
          error instanceof SignInRejected ||
          error instanceof SignInNotCompleted ||
          (error instanceof SignInFailed && ANSWERED_BY_SIGNING_IN_AGAIN.has(error.providerError)) ||
          (ctx.state.offeredOnRefusal === 'sign-in' && !anotherAccount);
        const signOutAgain = ctx.state.offeredOnRefusal === 'sign-out';
        const sessionsAgain = ctx.state.offeredOnRefusal === 'sessions-page';
        await renderErrorPage(ctx, logger, { message, requestId, fault, anotherAccount, signInAgain, signOutAgain, sessionsAgain, signInLinks: signInLinksAfter(ctx) });
      }
    }
  };
}

/**
 * What no route answered: an unknown address, and a method an address does not take, which
 * @koa/router's `allowedMethods()` answers with a status and `Allow` but no body (its `throw`
 * option would drop the `Allow` header: `_handleMethodNotAllowed` in @koa/router's src/router.ts).
 * They get the same page, `no-store` included, as every other refusal; `Allow` stays.
 */
function refuseUnanswered(ctx: Koa.Context): void {
  if (ctx.status === 404) ctx.throw(404, 'There is no page at this address.');
  if (ctx.status === 405) ctx.throw(405, `This address does not take ${ctx.method} requests.`);
  // Exposed: a 5xx by number, but the client's doing (isServerFault), so its message is shown.
  if (ctx.status === 501) ctx.throw(501, `This server does not take ${ctx.method} requests.`, { expose: true });
}

interface SignInLinks {
  readonly again: string;
  readonly anotherAccount: string;
  /** For a user still signed in: the page the sign-in was for, without signing in. */
  readonly continueTo: string;
}

/**
 * The error page's "Sign in again" and "Sign in with another account": back to the page the
 * refused or cancelled sign-in was for (`ctx.state.signInReturnTo`, from its pending sign-in), else home.
 */
function signInLinksAfter(ctx: Koa.Context): SignInLinks {
  const returnTo = ctx.state.signInReturnTo;
  const plain = returnTo && returnTo !== '/' ? signInLocation(returnTo) : '/auth/signin';
  const anotherAccount = `${plain}${plain.includes('?') ? '&' : '?'}prompt=login`;
  // A "Sign in with another account" that failed (the provider out of reach) is tried again as
  // one: a plain sign-in would let the provider's session sign in the account just refused.
  const again = ctx.state.signInForAnotherAccount === true ? anotherAccount : plain;
  // Checked again as a same-site path, as /auth/signin checks it: it is linked to directly here.
  return { again, anotherAccount, continueTo: sameSitePath(returnTo) ?? '/' };
}

/**
 * The error page, or the same words as plain text if the page itself cannot be rendered: left to
 * Koa's own handler, that failure would drop every header (the request id, the CSP, `no-store`)
 * and, with `app.silent`, be logged nowhere.
 */
async function renderErrorPage(
  ctx: Koa.Context,
  logger: Logger,
  page: {
    message: string;
    requestId: string;
    fault: boolean;
    anotherAccount?: boolean;
    signInAgain?: boolean;
    signOutAgain?: boolean;
    sessionsAgain?: boolean;
    signInLinks: SignInLinks;
  },
): Promise<void> {
  // A signed-in user refused something (a 403 from the API, an address that is no page) is still
  // signed in: the header says so and keeps its sign-out form, as on every other page. A refusal
  // answered before the session was loaded (the provider's sign-out routes, a store that cannot
  // load it) knows nothing of it: koa-session gives an empty session there, and the header must
  // say neither "Sign in" to a signed-in user nor "Signed in" to a visitor, so it says nothing.
  const sessionUnknown = ctx.state.sessionLoaded !== true;
  const { account, csrfToken } = sessionUnknown ? {} : (ctx.session ?? {});
  const signedIn = account && csrfToken ? { account, csrfToken } : {};
  const title = pageTitle(page.message, ctx.status);
  try {
    await ctx.render('error', { ...page, ...signedIn, sessionUnknown, title });
  } catch (error) {
    logger.error({ path: ctx.path, err: error }, 'the error page could not be rendered');
    ctx.type = 'text/plain';
    ctx.body = `${page.message}\n${page.fault ? `Reference: ${page.requestId}\n` : ''}`;
  }
}

/**
 * The page's title says what happened, as its first sentence does ("Sign-in was cancelled or access
 * was denied", "There is no page at this address"): the title is what a screen reader reads first
 * and what a tab shows (WCAG 2.2 SC 2.4.2); "Bad Request" told a user who pressed Cancel nothing.
 * Cut to 70 characters at most; the status's reason phrase when there is no sentence.
 */
export function pageTitle(message: string, status: number): string {
  const sentence = /^(.+?)[.:!?](?:\s|$)/.exec(message.trim())?.[1] ?? message.trim();
  if (!sentence) return STATUS_CODES[status] ?? 'Problem';
  if (sentence.length <= 70) return sentence;
  // Cut at its last clause that fits, else at a word.
  const fits = sentence.slice(0, 70);
  const clause = fits.lastIndexOf(', ');
  if (clause > 30) return fits.slice(0, clause);
  const word = fits.lastIndexOf(' ');
  return `${fits.slice(0, word > 30 ? word : 69)}…`;
}

/** The page a refused or failed form's error page offers, whose form is fresh; or a new sign-in. */
export type OfferedOnRefusal = 'sign-out' | 'sessions-page' | 'sign-in';

/**
 * Mounted before a form's checks: if the form is refused (its token stale: the session's token
 * changed in another tab) or fails (a store outage), the error page offers `page` (the sign-out
 * page, the sessions page; shown to a signed-in user), so a user who pressed it always has the way
 * to press it again. On the sign-in routes, `sign-in`: "Sign in again" (or, signed in, "Continue").
 */
export function offerOnRefusal(page: OfferedOnRefusal): Koa.Middleware {
  return (ctx, next) => {
    ctx.state.offeredOnRefusal = page;
    return next();
  };
}

