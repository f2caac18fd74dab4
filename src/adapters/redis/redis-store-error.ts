import { StoreUnavailable } from '../../domain/errors.ts';

/**
 * Translates whatever a Redis call threw (connection refused or closed, command timeout, offline
 * queue disabled, a Redis error reply) into the domain's `StoreUnavailable`, keeping the original as
 * `cause` for the logs. Domain code never needs to know ioredis' error types.
 */
export function storeErrorFrom(error: unknown): StoreUnavailable {
  if (error instanceof StoreUnavailable) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailable(`Redis store failed: ${reason}`, { cause: error });
}

/**
 * Runs one store operation (one or more Redis commands), rethrowing its failure as
 * `StoreUnavailable`, and failing it when it has not settled `deadlineMs` after it started.
 *
 * ioredis' own `commandTimeout` is not enough: it starts when a command is written to the socket,
 * and with auto-pipelining a command issued while an earlier pipeline is stuck waits, unwritten,
 * until that pipeline settles ("ioredis won't serve two pipelines at the same time",
 * https://github.com/redis/ioredis/blob/main/lib/autoPipelining.ts). Against a frozen Redis that
 * made requests wait up to twice the timeout. The deadline here starts with the operation.
 */
export function guarded<T>(deadlineMs: number, operation: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreUnavailable(`Redis store operation did not finish within ${deadlineMs} ms`)),
      deadlineMs,
    );
    let pending: Promise<T>;
    try {
      pending = operation();
    } catch (error) {
      pending = Promise.reject(error);
    }
    // A late result or failure after the deadline lands on a settled promise: ignored, not unhandled.
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(storeErrorFrom(error));
      },
    );
  });
}
