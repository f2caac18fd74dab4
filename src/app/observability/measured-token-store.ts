import type { TokenPartition, TokenPartitionSummary, TokenStore } from '../../ports/token-store.port.ts';
import type { AppMetrics, StoreOperationSeries } from './app-metrics.ts';
import { measured, storeSeries } from './measured-operation.ts';

/**
 * A TokenStore that reports each operation's duration and failures, and counts the partitions a
 * removal actually took away (the port's `remove` is idempotent and does not say; a version read
 * first does, at the cost of one small read per sign-out, never per page).
 */
export class MeasuredTokenStore implements TokenStore {
  readonly #inner: TokenStore;
  readonly #metrics: AppMetrics;
  readonly #ops: Record<'read' | 'readSummary' | 'version' | 'write' | 'remove' | 'keepUntil', StoreOperationSeries>;

  constructor(inner: TokenStore, metrics: AppMetrics, backend: string) {
    this.#inner = inner;
    this.#metrics = metrics;
    this.#ops = storeSeries(metrics, 'tokens', backend, ['read', 'readSummary', 'version', 'write', 'remove', 'keepUntil']);
  }

  read(accountId: string): Promise<TokenPartition | undefined> {
    return measured(this.#ops.read, () => this.#inner.read(accountId));
  }

  readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    return measured(this.#ops.readSummary, () => this.#inner.readSummary(accountId));
  }

  version(accountId: string): Promise<string | undefined> {
    return measured(this.#ops.version, () => this.#inner.version(accountId));
  }

  write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    return measured(this.#ops.write, () => this.#inner.write(accountId, data, expectedVersion, summary));
  }

  async remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    // A failed read only loses the count: the removal is tried whatever it says.
    const held = expectedVersion ?? (await this.version(accountId).catch(() => undefined));
    const removed = await measured(this.#ops.remove, () => this.#inner.remove(accountId, expectedVersion));
    if (held !== undefined && removed) this.#metrics.partitionRemoved();
    return removed;
  }

  keepUntil(accountId: string, expiresAt: number): Promise<void> {
    return measured(this.#ops.keepUntil, () => this.#inner.keepUntil(accountId, expiresAt));
  }
}
