import type { SignedInAccount } from './account.ts';
import { isRevocationChallenge } from './claims-challenge.ts';
import { ApiChallenge, InteractionRequired } from './errors.ts';
import type { SignOutResult } from './sign-out-result.ts';
import type { DownstreamApi } from '../ports/downstream-api.port.ts';
import type { CachedToken, IdentityProvider } from '../ports/identity-provider.port.ts';

/**
 * What CallApi needs when the API says the user's session was revoked (SignOutEverywhere gives it;
 * the composition root records each such sign-out, failed ones included, as every other channel's).
 */
export interface RevokedTokens {
  afterRevocation(account: SignedInAccount): Promise<SignOutResult>;
}

/**
 * Calls the downstream API for the signed-in user with a token from their cache partition.
 * Rejects with `InteractionRequired` (scopes and claims included) when only the user can fix it;
 * when the API, or the provider refusing a refresh, says the user's session was revoked (a CAE
 * revocation challenge), the tokens held for them are removed first. If that removal fails, its
 * error is what the caller gets.
 */
export class CallApi {
  readonly #identityProvider: IdentityProvider;
  readonly #downstreamApi: DownstreamApi;
  readonly #apiScopes: readonly string[];
  readonly #revokedTokens: RevokedTokens;

  constructor(deps: {
    identityProvider: IdentityProvider;
    downstreamApi: DownstreamApi;
    apiScopes: readonly string[];
    revokedTokens: RevokedTokens;
  }) {
    this.#identityProvider = deps.identityProvider;
    this.#downstreamApi = deps.downstreamApi;
    this.#apiScopes = deps.apiScopes;
    this.#revokedTokens = deps.revokedTokens;
  }

  async execute(account: SignedInAccount): Promise<unknown> {
    const request = { accountId: account.accountId, scopes: this.#apiScopes };
    const token = await this.#acquire(account, request);
    try {
      return await this.#callWith(token);
    } catch (error) {
      // A 401 without a claims challenge: the cached token may have been revoked early. Refresh
      // once (or take a token another request's refresh got meanwhile); if the API still refuses,
      // only the user can fix it.
      if (!(error instanceof ApiChallenge) || error.claims) throw await this.#refused(account, error);
      const refreshed = await this.#acquire(account, { ...request, forceRefresh: true, refusedToken: token.token });
      try {
        return await this.#callWith(refreshed);
      } catch (retryError) {
        throw await this.#refused(account, retryError);
      }
    }
  }

  /**
   * A token from the partition, or a refresh. A refresh the provider refuses as revoked (with a
   * revocation challenge, an `nbf` claims request beside `invalid_grant`, or saying so by its error
   * number, Entra's AADSTS50173) is the same news as the API's challenge: the account's sessions on
   * every device end with its tokens, else the device the provider revoked (a lost one) would be
   * served the tokens of the account's next sign-in, on another device, from the partition they share.
   */
  async #acquire(account: SignedInAccount, request: Parameters<IdentityProvider['acquireTokenSilently']>[0]): Promise<{ token: string }> {
    try {
      return await this.#identityProvider.acquireTokenSilently(request);
    } catch (error) {
      if (!(error instanceof InteractionRequired) || error.signedOut || !(error.sessionsRevoked || isRevocationChallenge(error.claims))) throw error;
      await this.#revokedTokens.afterRevocation(account);
      throw new InteractionRequired(error.scopes, error.claims, { cause: error, reason: 'the provider refused the refresh as revoked', signedOut: true });
    }
  }

  /** What the caller gets for the API's refusal; a revocation challenge, on any attempt, first removes the tokens. */
  async #refused(account: SignedInAccount, error: unknown): Promise<unknown> {
    if (error instanceof ApiChallenge && isRevocationChallenge(error.claims)) {
      // The provider revoked the session: the refresh token is dead too. Nothing of it may stay.
      await this.#revokedTokens.afterRevocation(account);
      return this.#asInteraction(error, true);
    }
    return this.#asInteraction(error, false);
  }

  /** What the app holds for the user, to show them (never the token text). */
  tokensHeld(account: SignedInAccount): Promise<CachedToken[]> {
    return this.#identityProvider.cachedTokens(account.accountId);
  }

  #callWith(token: { token: string }): Promise<unknown> {
    return this.#downstreamApi.get(token.token);
  }

  #asInteraction(error: unknown, signedOut: boolean): unknown {
    if (!(error instanceof ApiChallenge)) return error;
    return new InteractionRequired(this.#apiScopes, error.claims, { cause: error, reason: error.message, signedOut });
  }
}
