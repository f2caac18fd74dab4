/** One account's partition as the store holds it: the serialized token cache and its version. */
export interface TokenPartition {
  readonly data: string;
  /** Opaque; changes on every successful `write`. Hand it back as `expectedVersion` to compare-and-set. */
  readonly version: string;
}

/**
 * A partition's summary as the store holds it: the small extract of `data` that the writer gave
 * with it (for the request path, which then neither reads nor parses the whole cache), and the
 * partition's version. `summary` is `undefined` when the partition was written without one.
 */
export interface TokenPartitionSummary {
  readonly summary: string | undefined;
  readonly version: string;
}

/**
 * Where the app keeps each user's token cache: one partition per account, keyed by the
 * identity provider's home account id (MSAL `homeAccountId`), holding that account's serialized
 * token cache for this client only.
 *
 * Every adapter passes test/adapters/token-store.contract.ts; each method's part of the contract is
 * on the method.
 *
 * A partition lives only as long as a session can use it (see `keepUntil`): after that nothing
 * would ever read it again, and a sign-out from the provider, which finds tokens through live
 * sessions, could no longer find it. So a write without `expectedVersion` (a sign-in, which starts
 * a session) makes it expire `ttl` from now, a compare-and-set (a refresh) leaves its expiry
 * alone, and `keepUntil` (each session write) is the only other thing that extends it.
 */
export interface TokenStore {
  /** The partition's data and version, or `undefined` when it does not exist or has expired. */
  read(accountId: string): Promise<TokenPartition | undefined>;
  /**
   * The partition's summary (as its last `write` gave it, or `undefined` when that write gave none)
   * and version, without its data; `undefined` when the partition does not exist or has expired.
   * The store never reads a summary's content: it is kept, replaced and removed with the data.
   */
  readSummary(accountId: string): Promise<TokenPartitionSummary | undefined>;
  /**
   * The partition's current version (as `read` would give it) without its data, or `undefined`
   * likewise: a cheap freshness check for a copy kept in memory.
   */
  version(accountId: string): Promise<string | undefined>;
  /**
   * Writes the partition and resolves `true`; every successful write gives it a new opaque `version`.
   *
   * With `expectedVersion` it is a compare-and-set: it writes only when the partition still has
   * that version and resolves `false` otherwise (removed or rewritten meanwhile). This is what stops
   * a silent refresh that started before a sign-out from writing the tokens back ("no resurrection").
   * Such a write (a refresh) leaves the partition's expiry alone.
   *
   * Without `expectedVersion` it writes unconditionally (a fresh sign-in replaces the partition)
   * and the partition expires `ttl` from now.
   *
   * `summary`, when given, is stored with the data in the same atomic write; a write without one
   * leaves the partition with none (never an older write's summary beside newer data).
   */
  write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean>;
  /**
   * Deletes the partition and resolves `true`; removing a missing partition is not an error
   * (idempotent).
   *
   * With `expectedVersion` it is a compare-and-remove: it deletes only while the partition still
   * has that version (expired or not) and resolves `false` otherwise (rewritten, or already gone).
   * A sign-out removes exactly the partition it read, so the refresh token it revokes is the one
   * removed, not one a refresh replaced in between.
   */
  remove(accountId: string, expectedVersion?: string): Promise<boolean>;
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
