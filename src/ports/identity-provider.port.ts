import type { SignedInAccount } from '../domain/account.ts';

/**
 * What the adapter needs back at the callback to check it (state, nonce, PKCE verifier, ...):
 * opaque to the domain, which keeps it where the user cannot change it (a sealed cookie) and hands
 * it back once.
 */
export type SignInChecks = Readonly<Record<string, string>>;

export interface SignInRequest {
  readonly scopes: readonly string[];
  /** JSON claims request from a claims challenge. */
  readonly claims?: string;
  readonly loginHint?: string;
  readonly prompt?: 'login' | 'select_account' | 'consent' | 'none';
}

/** Query parameters of the redirect back from the provider (already reduced to single strings). */
export interface SignInCallback {
  readonly code?: string;
  readonly state?: string;
  /** Who sent the response (RFC 9207), when the provider names itself; a repeated `iss` is refused before this. */
  readonly iss?: string;
  readonly error?: string;
  readonly error_description?: string;
}

export interface SilentTokenRequest {
  readonly accountId: string;
  readonly scopes: readonly string[];
  readonly forceRefresh?: boolean;
  /**
   * With `forceRefresh`: the access token the API refused. Any other valid token held for the scopes
   * satisfies the request without a refresh (one that another request's refresh stored meanwhile).
   */
  readonly refusedToken?: string;
}

export interface AccessToken {
  readonly token: string;
  readonly expiresOn: Date;
  readonly scopes: readonly string[];
}

export interface EndSessionRequest {
  readonly postLogoutRedirectUri: string;
  /** The ID token's `login_hint` claim (Entra's), so the provider need not ask which account. */
  readonly logoutHint?: string;
  /**
   * The ID token of the signing-out session's own sign-in, sent as `id_token_hint` (RP-Initiated
   * Logout 1.0 §2) so the provider may send the browser back without asking: what `idTokenHint`
   * read before the sign-out removed it.
   */
  readonly idTokenHint?: string;
}

export interface CachedToken {
  readonly kind: 'access' | 'refresh' | 'id';
  readonly scopes: readonly string[];
  /** Absent for refresh tokens: their lifetime is the provider's secret. */
  readonly expiresOn?: Date;
}

/**
 * The OpenID Connect provider (Microsoft Entra ID in production) seen from the use cases. The
 * adapter owns the protocol's mechanics (state, nonce, PKCE, token checks) and the token cache
 * format; it reads and writes the account's partition in the TokenStore itself.
 */
export interface IdentityProvider {
  /**
   * Starts an authorization code sign-in for `scopes`: the URL to send the browser to, and the
   * `checks` to hand back to `completeSignIn` with the callback. Rejects with
   * `IdentityProviderUnavailable` when the provider's metadata cannot be had.
   */
  startSignIn(request: SignInRequest): Promise<{ authorizationUrl: string; checks: SignInChecks }>;

  /**
   * Completes the sign-in `checks` describes with the provider's callback: refuses a callback of
   * another sign-in (`SignInRejected`, checked before a provider `error` is believed), reports a
   * provider error (`SignInFailed`), redeems the code, verifies the ID token (signature, issuer,
   * audience, authorized party, times, nonce) and stores the account's tokens as a new partition,
   * replacing any earlier one. Rejects with `SignInUnverified` when the ID token fails a check
   * (nothing stored), `SignInFailed` when the provider refuses the code,
   * `IdentityProviderUnavailable` when it or its keys cannot be reached. `claims`, the claims
   * request the authorization request carried (a claims challenge's) when the pending sign-in kept
   * it (of any length that fits the cookie: pending-sign-in-cookie.ts), goes to the token request too, so that the tokens issued
   * for the code meet it.
   */
  completeSignIn(checks: SignInChecks, callback: SignInCallback, scopes: readonly string[], claims?: string): Promise<SignedInAccount>;

  /**
   * A valid access token for exactly `scopes`, from the cache or by refreshing (one refresh per
   * account at a time). Rejects with `InteractionRequired` when only the user can fix it (no tokens,
   * refresh token expired or revoked, consent missing). A refreshed cache is written back only if
   * the partition was not removed or rewritten meanwhile.
   */
  acquireTokenSilently(request: SilentTokenRequest): Promise<AccessToken>;

  /**
   * The provider's end-session (logout) URL, or `undefined` if it has none. Rejects with
   * `IdentityProviderUnavailable` when the provider's metadata cannot be had.
   */
  endSessionUrl(request: EndSessionRequest): Promise<string | undefined>;

  /**
   * The ID token of `account`'s sign-in from the account's partition, for
   * `EndSessionRequest.idTokenHint`: read before a sign-out removes the partition, from the store
   * alone (never the provider, so the local sign-out still waits on nothing remote). The partition
   * is shared by the account's sessions on every device and holds the ID token of whichever signed
   * in last, so it is given only when its `sid` is `account.sid`, the provider session being signed
   * out (neither has one, for a provider that issues none); another session's would have the
   * provider end that one instead. Best effort and bounded:
   * no partition, no ID token for this client, another session's, or a store that fails or is slow
   * gives `undefined`, never a rejection.
   */
  idTokenHint(account: Pick<SignedInAccount, 'accountId' | 'sid'>): Promise<string | undefined>;

  /** Whether an issuer identifier (a front-channel `iss`) is this provider's, for a tenant the app allows. */
  trustsIssuer(iss: string): Promise<boolean>;

  /** The tokens held for the account (kind, scopes, expiry; never the token text); `[]` when none. */
  cachedTokens(accountId: string): Promise<CachedToken[]>;
}
