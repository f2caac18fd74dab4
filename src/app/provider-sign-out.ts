import type Koa from 'koa';
import type { SignedInAccount } from '../domain/account.ts';
import { IdentityProviderUnavailable } from '../domain/errors.ts';
import type { SignOutEverywhere } from '../domain/sign-out-everywhere.ts';
import type { Config } from './config.ts';
import type { Logger } from './observability/logger.ts';

export interface ProviderSignOutDeps {
  readonly config: Pick<Config, 'postLogoutRedirectUri'>;
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
  let endSessionUrl: string | undefined;
  try {
    endSessionUrl = await deps.signOutEverywhere.providerSignOutUrl(account, deps.config.postLogoutRedirectUri, idTokenHint);
  } catch (error) {
    if (!(error instanceof IdentityProviderUnavailable)) throw error;
    deps.logger.warn({ err: error }, 'signed out of the app; the provider session was not ended');
    return ctx.render('signed-out-of-app-only', { account: undefined });
  }
  ctx.redirect(endSessionUrl ?? '/auth/signed-out');
}
