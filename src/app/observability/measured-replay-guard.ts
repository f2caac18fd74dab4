import type { ReplayGuard } from '../../ports/replay-guard.port.ts';
import type { AppMetrics, StoreOperationSeries } from './app-metrics.ts';
import { measured, storeSeries } from './measured-operation.ts';

/** A ReplayGuard that reports each operation's duration and failures. */
export class MeasuredReplayGuard implements ReplayGuard {
  readonly #inner: ReplayGuard;
  readonly #ops: Record<'claim' | 'isClaimed', StoreOperationSeries>;

  constructor(inner: ReplayGuard, metrics: AppMetrics, backend: string) {
    this.#inner = inner;
    this.#ops = storeSeries(metrics, 'replay-guard', backend, ['claim', 'isClaimed']);
  }

  claim(id: string, expiresAt: number): Promise<boolean> {
    return measured(this.#ops.claim, () => this.#inner.claim(id, expiresAt));
  }

  isClaimed(id: string): Promise<boolean> {
    return measured(this.#ops.isClaimed, () => this.#inner.isClaimed(id));
  }
}
