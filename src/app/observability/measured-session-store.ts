import type { IndexedSession, SessionIndex, SessionStore } from '../../ports/session-store.port.ts';
import type { AppMetrics, StoreOperationSeries } from './app-metrics.ts';
import { measured, storeSeries } from './measured-operation.ts';

/** A SessionStore that reports each operation's duration and failures. */
export class MeasuredSessionStore implements SessionStore {
  readonly #inner: SessionStore;
  readonly #ops: Record<'get' | 'set' | 'update' | 'destroy' | 'findBySid' | 'findBySubject' | 'findByAccount', StoreOperationSeries>;

  constructor(inner: SessionStore, metrics: AppMetrics, backend: string) {
    this.#inner = inner;
    this.#ops = storeSeries(metrics, 'sessions', backend, ['get', 'set', 'update', 'destroy', 'findBySid', 'findBySubject', 'findByAccount']);
  }

  get(id: string): Promise<Record<string, unknown> | undefined> {
    return measured(this.#ops.get, () => this.#inner.get(id));
  }

  set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void> {
    return measured(this.#ops.set, () => this.#inner.set(id, data, index, ttlMs));
  }

  update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean> {
    return measured(this.#ops.update, () => this.#inner.update(id, data, index, ttlMs));
  }

  destroy(id: string): Promise<boolean> {
    return measured(this.#ops.destroy, () => this.#inner.destroy(id));
  }

  findBySid(sid: string): Promise<IndexedSession[]> {
    return measured(this.#ops.findBySid, () => this.#inner.findBySid(sid));
  }

  findBySubject(subject: string): Promise<IndexedSession[]> {
    return measured(this.#ops.findBySubject, () => this.#inner.findBySubject(subject));
  }

  findByAccount(accountId: string): Promise<IndexedSession[]> {
    return measured(this.#ops.findByAccount, () => this.#inner.findByAccount(accountId));
  }
}
