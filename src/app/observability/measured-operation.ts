import type { AppMetrics, StoreOperationSeries } from './app-metrics.ts';

/** Times one store call, and counts it as an error when it rejects. */
export async function measured<T>(series: StoreOperationSeries, call: () => Promise<T>): Promise<T> {
  // Started before the call: SQLite does its work synchronously inside it.
  const started = performance.now();
  try {
    return await call();
  } catch (error) {
    series.errors.inc();
    throw error;
  } finally {
    series.duration.observe((performance.now() - started) / 1000);
  }
}

/** The series of each named operation of one store, resolved once. */
export function storeSeries<const N extends string>(
  metrics: AppMetrics,
  store: string,
  backend: string,
  operations: readonly N[],
): Record<N, StoreOperationSeries> {
  return Object.fromEntries(operations.map((operation) => [operation, metrics.storeOperation(store, backend, operation)])) as Record<N, StoreOperationSeries>;
}
