import type Koa from 'koa';
import { loginHintFor } from '../../domain/account.ts';
import { InteractionNotSatisfied, InteractionRequired } from '../../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { pageAskedBy, redirectToSignIn, returnPathFor, type SignInStart } from '../sign-in-redirect.ts';

/**
 * How soon after a sign-in that answered a page's need for the user the same need, on the same
 * page, is taken for one the provider cannot meet. A person reading the page, then going on, takes
 * longer; a browser following redirects takes milliseconds a round.
 */
export const REPEAT_WINDOW_MS = 30_000;

/**
 * When only the user can fix a token request (consent, expired sign-in, claims challenge), a page
 * load (GET or HEAD) becomes a sign-in for exactly those scopes and claims that returns to the same
 * page. It must run inside the session middleware: the login hint comes from the session. If the
 * sign-in this session comes from answered that very page's need less than REPEAT_WINDOW_MS ago,
 * the user is not sent round again (the API goes on refusing what the provider gives: a loop the
 * browser ends with "too many redirects"): the page is a 502 saying so.
 */
export function interactionRequiredRedirect(signInStart: SignInStart, logger: Logger, now: () => number = Date.now): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof InteractionRequired) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) throw error;
      const returnTo = returnPathFor(pageAskedBy(ctx));
      const answered = ctx.session?.interactionAnswered;
      const account = ctx.session?.account;
      const loginHint = account ? loginHintFor(account) : undefined;
      // A CAE revocation ended the user's sessions, this one included: whatever this request answers,
      // it must not show them signed in (the 502 below) nor write the session back.
      if (error.signedOut) ctx.session = null;
      if (answered && answered.returnTo === returnTo && now() - answered.at < REPEAT_WINDOW_MS) {
        throw new InteractionNotSatisfied(`interaction required again ${now() - answered.at} ms after a sign-in for ${returnTo}: ${error.message}`, {
          cause: error,
        });
      }
      logger.info({ reason: error.message }, 'interaction required');
      await redirectToSignIn(ctx, signInStart, {
        returnTo,
        scopes: error.scopes,
        claims: error.claims,
        loginHint,
        interaction: true,
      });
    }
  };
}
