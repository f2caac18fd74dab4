/**
 * The read side of "revoke this user's sessions" (Microsoft Graph `revokeSignInSessions`), for a
 * resource that evaluates access continuously (the demo API, as Graph does with CAE).
 */
export interface SignInRevocations {
  /**
   * Epoch seconds from which this user's access tokens are valid again: a token whose `iat` is
   * earlier was issued before the revocation. `undefined` when the user's sessions were never revoked.
   */
  notBefore(oid: string): number | undefined;
}

/**
 * The revocations recorded in this process (the provider and the demo API share it through
 * `startDevServers`). Held in memory only: a restart forgets them, while the revoked refresh tokens
 * and sessions stay gone from the provider's store.
 */
export class SignInRevocationList implements SignInRevocations {
  readonly #notBefore = new Map<string, number>();
  readonly #refreshTokens = new Set<string>();

  /** Refresh tokens removed by a revocation: a refresh with one is answered as Entra answers it (revoked-refresh-token.ts). */
  revokeRefreshTokens(values: Iterable<string>): void {
    for (const value of values) this.#refreshTokens.add(value);
  }

  refreshTokenRevoked(value: string): boolean {
    return this.#refreshTokens.has(value);
  }

  /**
   * Records a revocation taking effect at the next whole second after `nowMs`. Token times have a
   * one-second resolution: a token issued earlier in the current second has the same `iat` as one
   * issued just after, so only the next second boundary separates "before" from "after" exactly.
   * Callers wait until that second has begun before they report the revocation done.
   */
  revoke(oid: string, nowMs = Date.now()): number {
    const notBefore = Math.max(Math.floor(nowMs / 1000) + 1, this.#notBefore.get(oid) ?? 0);
    this.#notBefore.set(oid, notBefore);
    return notBefore;
  }

  notBefore(oid: string): number | undefined {
    return this.#notBefore.get(oid);
  }
}
