import type Koa from 'koa';
import { InteractionRequired } from '../../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { redirectToSignIn, returnPathFor, type SignInStart } from '../sign-in-redirect.ts';

/**
 * When only the user can fix a token request (consent, expired sign-in, claims challenge), a page
 * load becomes a sign-in for exactly those scopes and claims that returns to the same page.
 * It must run inside the session middleware: the login hint comes from the session.
 */
export function interactionRequiredRedirect(signInStart: SignInStart, logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof InteractionRequired) || ctx.method !== 'GET') throw error;
      logger.info({ reason: error.message }, 'interaction required');
      await redirectToSignIn(ctx, signInStart, {
        returnTo: returnPathFor(ctx.originalUrl),
        scopes: error.scopes,
        claims: error.claims,
        loginHint: ctx.session?.account?.username,
      });
    }
  };
}
