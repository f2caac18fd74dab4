import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';

/**
 * One MSAL cache plugin per MSAL client, so per request: it holds exactly one account's
 * partition, already read from the TokenStore, and remembers what MSAL wants to persist. The
 * caller writes it back with a compare-and-set after the MSAL call, so an error is never lost
 * inside MSAL and a sign-out in the meantime wins.
 *
 * A client per request is deliberate: one client shared by many users with a partitioned plugin
 * was measured to mix users' tokens under concurrency (bob's tokens written into alice's
 * partition); test/adapters/msal-isolation.test.ts keeps 60 concurrent users apart.
 */
export class PartitionCachePlugin implements ICachePlugin {
  #changedCache: string | undefined;

  readonly #snapshot: string | undefined;

  constructor(snapshot: string | undefined) {
    this.#snapshot = snapshot;
  }

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    if (this.#snapshot) context.tokenCache.deserialize(this.#changedCache ?? this.#snapshot);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (context.cacheHasChanged) this.#changedCache = context.tokenCache.serialize();
  }

  /** The serialized cache to persist, or `undefined` when MSAL changed nothing. */
  get changes(): string | undefined {
    return this.#changedCache;
  }
}
