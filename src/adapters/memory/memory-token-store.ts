import { randomUUID } from 'node:crypto';
import { partitionTtlMs, type TokenPartition, type TokenPartitionSummary, type TokenStore } from '../../ports/token-store.port.ts';
import { sweepInTurns } from './sweep-in-turns.ts';


interface StoredPartition {
  readonly data: string;
  readonly summary: string | undefined;
  readonly version: string;
  readonly expiresAt: number;
}

/**
 * A real in-process TokenStore: the single-instance fallback and the fake used by unit tests.
 *
 * Versions are random, never counters: a counter restarts after remove + re-create, so a refresh
 * that read version 1 before a sign-out could overwrite a new sign-in's version 1 (ABA) and put
 * the old tokens back. Expired partitions are dropped when touched and by `sweepExpired`, so
 * abandoned users don't make the process grow forever.
 */
export class MemoryTokenStore implements TokenStore {
  readonly #partitions = new Map<string, StoredPartition>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #removalListeners: Array<{ changed(accountId: string): void }> = [];

  constructor(deps: { tokenTtlSeconds?: number; now?: () => number } = {}) {
    this.#ttlMs = partitionTtlMs(deps.tokenTtlSeconds);
    this.#now = deps.now ?? Date.now;
  }

  async read(accountId: string): Promise<TokenPartition | undefined> {
    const stored = this.#live(accountId);
    return stored && { data: stored.data, version: stored.version };
  }

  async readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    const stored = this.#live(accountId);
    return stored && { summary: stored.summary, version: stored.version };
  }

  async version(accountId: string): Promise<string | undefined> {
    return this.#live(accountId)?.version;
  }

  // No await before the map update: check and write happen in one turn of the event loop,
  // so concurrent compare-and-set calls cannot interleave.
  async write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    const live = this.#live(accountId);
    if (expectedVersion !== undefined && live?.version !== expectedVersion) return false;
    // A refresh (compare-and-set) keeps the expiry; a sign-in sets it ttl from now.
    const expiresAt = expectedVersion !== undefined ? live!.expiresAt : this.#now() + this.#ttlMs;
    this.#partitions.set(accountId, { data, summary, version: randomUUID(), expiresAt });
    return true;
  }

  async keepUntil(accountId: string, expiresAt: number): Promise<void> {
    const live = this.#live(accountId);
    if (live && live.expiresAt < expiresAt) this.#partitions.set(accountId, { ...live, expiresAt });
  }

  async remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    if (expectedVersion !== undefined && this.#partitions.get(accountId)?.version !== expectedVersion) return false;
    this.#partitions.delete(accountId);
    return true;
  }

  /**
   * Deletes every expired partition, yielding to the event loop between batches
   * (sweep-in-turns.ts); resolves to how many were deleted.
   */
  sweepExpired(): Promise<number> {
    const now = this.#now();
    return sweepInTurns(this.#partitions, (stored) => stored.expiresAt <= now, (accountId) => {
      this.#partitions.delete(accountId);
      for (const listener of this.#removalListeners) listener.changed(accountId);
    });
  }

  /**
   * Who keeps parsed copies of partitions (the partition cache, as `PartitionChanges`) hears of
   * each one the sweep deletes, which goes through no other method of the port.
   */
  subscribe(listener: { changed(accountId: string): void }): void {
    this.#removalListeners.push(listener);
  }

  /** Always: every removal happens in this process. */
  listening(): boolean {
    return true;
  }

  #live(accountId: string): StoredPartition | undefined {
    const stored = this.#partitions.get(accountId);
    if (stored && stored.expiresAt <= this.#now()) {
      this.#partitions.delete(accountId);
      return undefined;
    }
    return stored;
  }
}
