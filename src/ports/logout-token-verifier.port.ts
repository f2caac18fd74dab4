/** The claims of a `logout_token` that `LogoutTokenVerifier.verify` accepted. */
export interface LogoutTokenClaims {
  readonly jti: string;
  readonly sid?: string;
  readonly subject?: string;
  /** Until when the token could be replayed (epoch ms): how long its `jti` must be remembered. */
  readonly replayableUntil: number;
}

/**
 * Checks an OpenID Connect Back-Channel Logout 1.0 `logout_token` from the provider. Replay of
 * `jti` is the caller's concern (ReplayGuard).
 */
export interface LogoutTokenVerifier {
  /**
   * Resolves to the validated claims when the token is signed by the provider's key and has the
   * right `iss`, `aud` (this client), a recent `iat`, the back-channel logout event, no `nonce`, a
   * `jti`, and a `sid` or `sub`. Rejects with `SignOutRejected` otherwise, and with
   * `IdentityProviderUnavailable` when the provider's keys cannot be fetched. Does not check
   * whether the `jti` was seen before.
   */
  verify(logoutToken: string): Promise<LogoutTokenClaims>;
}
