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
 * ioredis' own `commandTimeout` is not enough: it times each command, from when it is written to
 * the socket, and an operation may send several one after another (a script answered NOSCRIPT is
 * sent again with EVAL, redis-script.ts), each with the whole timeout. With auto-pipelining, which
 * the app once used, a command issued while an earlier pipeline was stuck even waited unwritten
 * ("ioredis won't serve two pipelines at the same time",
 * https://github.com/redis/ioredis/blob/main/lib/autoPipelining.ts): against a frozen Redis,
 * requests waited up to twice the timeout. The deadline here starts with the operation.
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
