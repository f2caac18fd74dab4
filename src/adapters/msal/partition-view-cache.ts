import type { TokenStore } from '../../ports/token-store.port.ts';
import { partitionView, type PartitionView } from './partition-view.ts';

/**
 * Parsed partitions kept in memory, at most `maxEntries` (least recently used go first), each
 * checked against the store's current version before use. So a copy is never used after a
 * sign-out or a refresh on any instance: the version check sees the partition gone or changed,
 * at the cost of one tiny read instead of reading, decrypting and parsing ~10 KB per request.
 */
export class PartitionViewCache {
  private readonly views = new Map<string, PartitionView>();
  private readonly tokenStore: TokenStore;
  private readonly clientId: string;
  private readonly maxEntries: number;

  constructor(tokenStore: TokenStore, clientId: string, maxEntries: number) {
    this.tokenStore = tokenStore;
    this.clientId = clientId;
    this.maxEntries = maxEntries;
  }

  /** The account's current partition, parsed; `undefined` when it has none. */
  async get(accountId: string): Promise<PartitionView | undefined> {
    return (await this.lookup(accountId)).view;
  }

  /** As `get`, also saying whether the parsed copy kept in memory was still current (`fromMemory`). */
  async lookup(accountId: string): Promise<{ view: PartitionView | undefined; fromMemory: boolean }> {
    if (this.maxEntries <= 0) return { view: await this.load(accountId), fromMemory: false }; // nothing kept: no version to check
    const version = await this.tokenStore.version(accountId);
    const known = this.views.get(accountId);
    if (!version) {
      this.views.delete(accountId);
      return { view: undefined, fromMemory: false };
    }
    if (known?.version === version) {
      this.views.delete(accountId); // re-insert: most recently used last
      this.views.set(accountId, known);
      return { view: known, fromMemory: true };
    }
    const view = await this.load(accountId);
    if (view) this.remember(accountId, view);
    else this.views.delete(accountId);
    return { view, fromMemory: false };
  }

  private async load(accountId: string): Promise<PartitionView | undefined> {
    const partition = await this.tokenStore.read(accountId);
    return partition && partitionView(partition.data, partition.version, accountId, this.clientId);
  }

  /**
   * The view as last checked, without asking the store: only for showing the user what is held,
   * right after `get` (the same request) — never for handing out a token.
   */
  async peek(accountId: string): Promise<PartitionView | undefined> {
    return this.views.get(accountId) ?? this.get(accountId);
  }

  get size(): number {
    return this.views.size;
  }

  private remember(accountId: string, view: PartitionView): void {
    this.views.delete(accountId);
    this.views.set(accountId, view);
    while (this.views.size > this.maxEntries) this.views.delete(this.views.keys().next().value!);
  }
}
