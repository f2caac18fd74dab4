/**
 * Where the app keeps each user's token cache: one partition per account, keyed by the
 * identity provider's home account id (MSAL `homeAccountId`), holding that account's serialized
 * token cache for this client only.
 *
 * Contract (every adapter passes test/adapters/token-store.contract.ts):
 * - `read` resolves to `undefined` when the partition does not exist or has expired.
 * - `version` resolves to the partition's current version (as `read` would give it) without its
 *   data, or `undefined` likewise: a cheap freshness check for a copy kept in memory.
 * - Every successful `write` gives the partition a new opaque `version`.
 * - `write` with `expectedVersion` is a compare-and-set: it writes only when the partition still has
 *   that version and resolves `false` otherwise (removed or rewritten meanwhile). This is what stops
 *   a silent refresh that started before a sign-out from writing the tokens back ("no resurrection").
 *   Without `expectedVersion` it writes unconditionally (a fresh sign-in replaces the partition).
 * - `remove` deletes the partition; removing a missing partition is not an error (idempotent).
 * - A partition lives only as long as a session can use it (see `keepUntil`): after that nothing
 *   would ever read it again, and a sign-out from the provider, which finds tokens through live
 *   sessions, could no longer find it. So a write without `expectedVersion` (a sign-in, which starts
 *   a session) makes it expire `ttl` from now, a compare-and-set (a refresh) leaves its expiry
 *   alone, and `keepUntil` (each session write) is the only other thing that extends it.
 */
export interface TokenPartition {
  readonly data: string;
  readonly version: string;
}

export interface TokenStore {
  read(accountId: string): Promise<TokenPartition | undefined>;
  version(accountId: string): Promise<string | undefined>;
  write(accountId: string, data: string, expectedVersion?: string): Promise<boolean>;
  remove(accountId: string): Promise<void>;
  /**
   * Makes an existing, unexpired partition live at least until `expiresAt` (epoch ms): its expiry
   * becomes the later of the two, never earlier. A missing or expired partition stays absent
   * (nothing is created). The partition's version does not change.
   */
  keepUntil(accountId: string, expiresAt: number): Promise<void>;
}

/** How long a signed-in partition lives when no TTL is configured: Entra's refresh-token lifetime. */
export const DEFAULT_TOKEN_TTL_SECONDS = 90 * 24 * 3600;

/** The lifetime a sign-in's write gives a partition, in ms; a TTL that is not positive is a wiring mistake. */
export function partitionTtlMs(tokenTtlSeconds: number = DEFAULT_TOKEN_TTL_SECONDS): number {
  if (!(tokenTtlSeconds > 0)) throw new RangeError(`tokenTtlSeconds must be positive, got ${tokenTtlSeconds}`);
  return Math.ceil(tokenTtlSeconds * 1000);
}
