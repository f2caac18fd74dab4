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
 * The provider part of a sign-out started here, worked out before the app part: the end-session
 * URL (`undefined`: the provider has none), or why there is none. The URL may carry the user's ID
 * token (`id_token_hint`): it goes to the browser only, never into the SignOutResult or a log.
 */
export type ProviderSignOut =
  | { readonly kind: 'redirect'; readonly endSessionUrl: string | undefined }
  | { readonly kind: 'unavailable'; readonly error: IdentityProviderUnavailable }
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * Builds the provider's end-session URL while the account's partition still holds the ID token
 * that goes in it as `id_token_hint`: call it before `fromApp` / `everywhere` removes the partition.
 * Never rejects: whatever goes wrong is only acted on by `continueToProviderSignOut`, after the app
 * part, as it was when the URL was built after it.
 */
export async function prepareProviderSignOut(deps: Pick<ProviderSignOutDeps, 'config' | 'signOutEverywhere'>, account: SignedInAccount): Promise<ProviderSignOut> {
  try {
    return { kind: 'redirect', endSessionUrl: await deps.signOutEverywhere.providerSignOutUrl(account, deps.config.postLogoutRedirectUri) };
  } catch (error) {
    return error instanceof IdentityProviderUnavailable ? { kind: 'unavailable', error } : { kind: 'failed', error };
  }
}

/**
 * After a sign-out here has ended the sessions and removed the tokens: sends the browser on to the
 * provider's end-session endpoint. If the provider could not be reached (typically for its
 * discovery document, on an instance that has not loaded it yet), the app part is done and stays
 * done: the page says so and offers `GET /auth/signout/provider` to retry the rest.
 */
export async function continueToProviderSignOut(ctx: Koa.Context, deps: Pick<ProviderSignOutDeps, 'logger'>, prepared: ProviderSignOut): Promise<void> {
  if (prepared.kind === 'failed') throw prepared.error;
  if (prepared.kind === 'unavailable') {
    deps.logger.warn({ err: prepared.error }, 'signed out of the app; the provider session was not ended');
    return ctx.render('signed-out-of-app-only', { account: undefined });
  }
  ctx.redirect(prepared.endSessionUrl ?? '/auth/signed-out');
}
