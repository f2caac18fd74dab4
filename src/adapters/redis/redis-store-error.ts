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

/** Runs one Redis operation, rethrowing its failure as `StoreUnavailable`. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storeErrorFrom(error);
  }
}
