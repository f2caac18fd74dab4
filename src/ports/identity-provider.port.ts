import type { SignedInAccount } from '../domain/account.ts';

/**
 * The OpenID Connect provider (Microsoft Entra ID in production) seen from the use cases. The
 * adapter owns the token cache format; it reads and writes the account's partition in the
 * TokenStore itself.
 *
 * Contract:
 * - `authorizationUrl` builds the authorization request (authorization code + PKCE S256).
 * - `redeemCode` exchanges the code, checks `state`, verifies the ID token (signature, issuer,
 *   audience, authorized party, times, `nonce`), stores the account's tokens as a new partition
 *   (replacing any earlier one) and resolves to the account. Rejects with `SignInUnverified` when
 *   the ID token fails a check (nothing stored), `SignInFailed` when the provider refuses the code,
 *   `IdentityProviderUnavailable` when it or its keys cannot be reached.
 * - `acquireTokenSilently` returns a valid access token for exactly `scopes`, from the cache or by
 *   refreshing; it rejects with `InteractionRequired` when only the user can fix it (no tokens,
 *   refresh token expired or revoked, consent missing, claims challenge). A refreshed cache is
 *   written back only if the partition was not removed or rewritten meanwhile.
 * - `endSessionUrl` is the provider's end-session (logout) URL, or `undefined` if it has none.
 * - `trustsIssuer` tells whether an issuer identifier (a front-channel `iss`) is this provider's,
 *   for a tenant the app allows.
 * - `cachedTokens` describes the tokens held for the account (kind, scopes, expiry; never the
 *   token text); `[]` when none.
 */
export interface AuthorizationRequest {
  readonly scopes: readonly string[];
  readonly state: string;
  readonly nonce: string;
  readonly codeChallenge: string;
  /** JSON claims request from a claims challenge. */
  readonly claims?: string;
  readonly loginHint?: string;
  readonly prompt?: 'login' | 'select_account' | 'consent' | 'none';
}

export interface CodeRedemption {
  readonly code: string;
  readonly codeVerifier: string;
  readonly scopes: readonly string[];
  readonly state: string;
  readonly nonce: string;
}

export interface SilentTokenRequest {
  readonly accountId: string;
  readonly scopes: readonly string[];
  readonly forceRefresh?: boolean;
}

export interface AccessToken {
  readonly token: string;
  readonly expiresOn: Date;
  readonly scopes: readonly string[];
}

export interface EndSessionRequest {
  readonly postLogoutRedirectUri: string;
  /** The user's `login_hint` claim or username, so the provider need not ask which account. */
  readonly logoutHint?: string;
}

export interface CachedToken {
  readonly kind: 'access' | 'refresh' | 'id';
  readonly scopes: readonly string[];
  /** Absent for refresh tokens: their lifetime is the provider's secret. */
  readonly expiresOn?: Date;
}

export interface IdentityProvider {
  authorizationUrl(request: AuthorizationRequest): Promise<string>;
  redeemCode(redemption: CodeRedemption): Promise<SignedInAccount>;
  acquireTokenSilently(request: SilentTokenRequest): Promise<AccessToken>;
  endSessionUrl(request: EndSessionRequest): Promise<string | undefined>;
  trustsIssuer(iss: string): Promise<boolean>;
  cachedTokens(accountId: string): Promise<CachedToken[]>;
}
