import { setImmediate as nextTurn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { KEPT_REMOVALS, lastLoggedRemoval, REMOVALS_KEPT_MS } from './sqlite-partition-removals.ts';

const BATCH_SIZE = 500;

/**
 * Deletes expired token partitions, sessions, used token ids and refresh locks; resolves to how many rows were
 * deleted; `afterPartitionBatch` runs after each batch of partitions deleted. Then the log of removed
 * partitions is trimmed to its last KEPT_REMOVALS entries, and of every entry up to `forgetRemovalsUpTo`
 * (a sequence number; not counted).
 *
 * Deletes at most `batchSize` rows per statement, each its own transaction, so a large backlog never
 * holds the write lock long enough to stall sign-ins or token refreshes; and it gives the event
 * loop a turn between batches: better-sqlite3 is synchronous, and a sweep of 15,000 expired
 * partitions in one go froze every request for about 330 ms here (one batch: about 10 ms).
 * Stops after the current batch once `signal` is aborted.
 */
export async function sweepExpired(
  db: Database.Database,
  nowMs: number,
  options: { batchSize?: number; signal?: AbortSignal; afterPartitionBatch?: () => void; forgetRemovalsUpTo?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? BATCH_SIZE;
  const statements = [
    db.prepare<[number, number]>(`DELETE FROM token_partitions WHERE rowid IN
      (SELECT rowid FROM token_partitions WHERE expires_at <= ? LIMIT ?)`),
    db.prepare<[number, number]>(`DELETE FROM sessions WHERE rowid IN
      (SELECT rowid FROM sessions WHERE expires_at <= ? LIMIT ?)`),
    db.prepare<[number, number]>(`DELETE FROM used_token_ids WHERE id IN
      (SELECT id FROM used_token_ids WHERE expires_at <= ? LIMIT ?)`),
    // Left by a process that stopped before it released them; an expired lock is taken over anyway.
    db.prepare<[number, number]>(`DELETE FROM refresh_locks WHERE account_id IN
      (SELECT account_id FROM refresh_locks WHERE expires_at <= ? LIMIT ?)`),
  ];
  const trimRemovals = db.prepare<[number, number, number]>(`DELETE FROM token_partition_removals WHERE seq IN
    (SELECT seq FROM token_partition_removals WHERE seq <= max((SELECT max(seq) FROM token_partition_removals) - ?, ?) LIMIT ?)`);
  const [partitions, ...others] = statements;
  // This process's own deletes move no data_version it sees: what each batch logged is read at once
  // (at most a batch of rows, never the whole backlog in one go), and before the trim could delete
  // rows of it unread.
  let deleted = await inBatches(() => partitions!.run(nowMs, batchSize).changes, batchSize, options.signal, options.afterPartitionBatch);
  for (const statement of others) deleted += await inBatches(() => statement.run(nowMs, batchSize).changes, batchSize, options.signal);
  const upTo = options.forgetRemovalsUpTo ?? 0;
  await inBatches(() => trimRemovals.run(KEPT_REMOVALS, upTo, batchSize).changes, batchSize, options.signal);
  return deleted;
}

/**
 * Runs `batch` until it deletes fewer than `batchSize` rows, `after` after each, a turn of the
 * event loop between batches.
 */
async function inBatches(batch: () => number, batchSize: number, signal: AbortSignal | undefined, after?: () => void): Promise<number> {
  let deleted = 0;
  for (;;) {
    if (signal?.aborted) return deleted;
    const changes = batch();
    deleted += changes;
    if (changes > 0) after?.();
    if (changes < batchSize) return deleted;
    await nextTurn();
  }
}

/** A sweep every so often, and one at once on request (`sweep`, for tests and operators). */
export interface ExpirySweeper {
  /** Runs a sweep now, or waits for the one running; resolves when it is done (a failure goes to `onError`). */
  sweep(): Promise<void>;
  /** No sweep starts from now on, and one in progress ends after its current batch. */
  stop(): void;
}

/**
 * Runs `sweepExpired` every `intervalMs`, each sweep also trimming the removals logged at least
 * `removalsKeptMs` (REMOVALS_KEPT_MS) before it: the log's last sequence number is noted at each
 * sweep, and those noted that many sweeps ago are forgotten. The timer is unref'd so it never keeps the process alive.
 * A sweep still yielding its way through a backlog is not started twice; `stop` also ends one in
 * progress after its current batch, so none runs on a database about to be closed. A failed sweep
 * goes to `onError` (default: logged) instead of crashing the process from a timer.
 */
export function startExpirySweeper(
  db: Database.Database,
  options: { intervalMs: number; removalsKeptMs?: number; now?: () => number; onError?: (error: unknown) => void; afterPartitionBatch?: () => void },
): ExpirySweeper {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error('SQLite expiry sweep failed', error));
  const stopped = new AbortController();
  let running: Promise<void> | undefined;
  const lastLogged = lastLoggedRemoval(db);
  const sweepsKept = Math.ceil((options.removalsKeptMs ?? REMOVALS_KEPT_MS) / options.intervalMs);
  const marks: number[] = []; // the log's last sequence number at each recent sweep, oldest first
  const sweep = (): Promise<void> => {
    running ??= Promise.resolve()
      .then(() => {
        marks.push(lastLogged.get() ?? 0);
        const forgetRemovalsUpTo = marks.length > sweepsKept ? marks.shift() : undefined;
        return sweepExpired(db, now(), { signal: stopped.signal, afterPartitionBatch: options.afterPartitionBatch, forgetRemovalsUpTo });
      })
      .then(() => {}, onError)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();
  return {
    sweep,
    stop: () => {
      clearInterval(timer);
      stopped.abort();
    },
  };
}
