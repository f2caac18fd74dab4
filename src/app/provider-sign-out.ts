import type Koa from 'koa';
import type { SignedInAccount } from '../domain/account.ts';
import { IdentityProviderUnavailable } from '../domain/errors.ts';
import type { SignOutEverywhere } from '../domain/sign-out-everywhere.ts';
import type { Config } from './config.ts';
import type { CookiePolicy } from './cookie-policy.ts';
import { whenSignedOut } from './middleware/csrf.ts';
import type { Logger } from './observability/logger.ts';
import { note } from './notice-cookies.ts';

export interface ProviderSignOutDeps {
  readonly config: Pick<Config, 'postLogoutRedirectUri'>;
  readonly cookies: CookiePolicy;
  readonly signOutEverywhere: Pick<SignOutEverywhere, 'providerSignOutUrl'>;
  readonly logger: Logger;
}

/**
 * After a sign-out here has ended the sessions and removed the tokens: sends the browser on to the
 * provider's end-session endpoint, with `idTokenHint` (the ID token read before the tokens were
 * removed: SignOutEverywhere.idTokenHint) when there is one; the URL goes to the browser only,
 * never into the SignOutResult or a log. If the provider cannot be reached (typically for its
 * discovery document, on an instance that has not loaded it yet), the app part is done and stays
 * done: the page says so and offers `GET /auth/signout/provider` to retry the rest.
 */
export async function continueToProviderSignOut(
  ctx: Koa.Context,
  deps: ProviderSignOutDeps,
  account: SignedInAccount,
  idTokenHint: string | undefined,
): Promise<void> {
  // Noted first: when the provider cannot be reached, the retry it offers ends on the signed-out
  // page too, which then still says so.
  note(ctx, deps.cookies, 'tokensRemoved');
  let endSessionUrl: string | undefined;
  try {
    endSessionUrl = await deps.signOutEverywhere.providerSignOutUrl(account, deps.config.postLogoutRedirectUri, idTokenHint);
  } catch (error) {
    if (!(error instanceof IdentityProviderUnavailable)) throw error;
    deps.logger.warn({ err: error }, 'signed out of the app; the provider session was not ended');
    return ctx.render('signed-out-of-app-only', { account: undefined, tokensRemoved: true, requestId: ctx.state.requestId });
  }
  ctx.redirect(endSessionUrl ?? '/auth/signed-out');
}

/**
 * A sign-out form ("Sign out", "Sign out everywhere") posted after the session ended (whenSignedOut):
 * there is nothing here to sign out, but the user still asked to be signed out, and on a shared
 * computer the provider's session would sign the next person in. So the provider's session is ended
 * too, as `GET /auth/signout/provider` does: without an `id_token_hint`, so the provider asks the
 * user to confirm, and a forged POST gets nothing that link does not.
 */
export function signedOutHereAlready(publicOrigin: string): Koa.Middleware {
  return whenSignedOut(publicOrigin, (ctx) => {
    ctx.session = null;
    ctx.redirect('/auth/signout/provider');
  });
}
