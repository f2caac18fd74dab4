import type { RevocationOutcome } from '../domain/sign-out-names.ts';

/**
 * Revokes at the provider (OAuth 2.0 Token Revocation, RFC 7009) the refresh token held in a token
 * partition that a sign-out has just removed. The use case reads the partition, removes it, and
 * only then hands what it read here: the local removal never waits on the provider.
 */
export interface RefreshTokenRevoker {
  /**
   * Finds the refresh token(s) in `partitionData` (a partition's `data` as the TokenStore returned
   * it, before removal) and revokes them. Best effort, so it never rejects and always settles
   * within a bounded time (at most 2 s). Resolves to:
   * - `not-attempted` when the partition holds no refresh token (nothing is sent);
   * - `unsupported` when the provider advertises no `revocation_endpoint` (nothing is sent);
   * - `revoked` when the provider accepted every one (RFC 7009 answers 200 for an unknown or
   *   already revoked token too, so repeating a revocation is harmless);
   * - `failed` when the provider could not be reached, timed out or refused; the adapter logs why,
   *   never the token.
   */
  revoke(partitionData: string): Promise<RevocationOutcome>;
}
