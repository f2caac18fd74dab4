import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { WalCheckpointReport, WalCheckpointWorkerData } from './wal-checkpoint-worker.ts';

/** How often the worker checkpoints: a sign-out burst leaves at most this long of WAL behind. */
const INTERVAL_MS = 100;
/**
 * While the worker runs, a commit on the app's connection checkpoints only when the WAL has grown
 * this far (40 MB of 4 KB pages): a safety net for writes that outrun the worker, not the rule.
 */
const SAFETY_NET_PAGES = 10_000;
/** SQLite's own default (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT), put back when the worker is gone. */
const SQLITE_DEFAULT_PAGES = 1000;

export interface WalCheckpointer {
  /** Stops the worker after its current checkpoint; the app's connection checkpoints on commit again. */
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  readonly intervalMs?: number;
  /** A checkpoint copied `checkpointedFrames` of the WAL's `walFrames` into the database file. */
  readonly onCheckpoint?: (report: { walFrames: number; checkpointedFrames: number }) => void;
  /** The worker stopped working; the app's connection has taken checkpoints back. */
  readonly onFailure: (error: Error) => void;
  /** The worker's script (tests give one that fails). */
  readonly workerUrl?: URL;
}

/**
 * Takes SQLite's WAL checkpoints off the event loop.
 *
 * By default the connection that commits the transaction taking the WAL past 1000 pages also
 * checkpoints it, inside that commit: it copies the pages into the database file and fsyncs both
 * files. better-sqlite3 is synchronous, so that request — and every other one waiting on the event
 * loop — waits for the fsyncs. Each sign-out deletes a ~10 KB partition, so such a commit came every
 * few hundred sign-outs: front-channel sign-out p99 10.5 ms that way, 3.4 ms with this worker
 * (bench/wal-checkpoints.ts, 100,000 users, medians of four rounds of 500 sign-outs each).
 *
 * So the app's connection checkpoints only past a safety net, and a worker thread with its own
 * connection runs a PASSIVE checkpoint every 100 ms, as SQLite suggests for this
 * (https://www.sqlite.org/wal.html#application_initiated_checkpoints). A checkpoint by another
 * connection does not change `PRAGMA data_version`, so what the stores remember stays valid
 * (sqlite-file-changes.ts). If the worker fails, the app's connection checkpoints on commit again,
 * as before. A file that is not in WAL mode (`:memory:`) needs none.
 */
export function startWalCheckpointer(db: Database.Database, options: WalCheckpointerOptions): WalCheckpointer {
  if (db.memory || db.pragma('journal_mode', { simple: true }) !== 'wal') return { stop: async () => {} };
  const worker = new Worker(options.workerUrl ?? new URL('./wal-checkpoint-worker.ts', import.meta.url), {
    workerData: { path: db.name, intervalMs: options.intervalMs ?? INTERVAL_MS } satisfies WalCheckpointWorkerData,
  });
  worker.unref(); // never what keeps the process alive
  db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  let handedBack = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  /** The app's connection checkpoints on commit again; false if it already did. */
  const handBack = (): boolean => {
    if (handedBack) return false;
    handedBack = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    return true;
  };
  const takeBack = (error: Error) => {
    if (handBack()) options.onFailure(error);
  };
  worker.on('message', (report: WalCheckpointReport) => {
    if (report.type === 'checkpointed') options.onCheckpoint?.(report);
    else takeBack(new Error(`WAL checkpoint failed: ${report.message}`));
  });
  worker.on('error', (error) => takeBack(error));
  worker.on('exit', (code) => takeBack(new Error(`WAL checkpoint worker exited (code ${code})`)));
  return {
    async stop() {
      if (handBack()) worker.postMessage('stop');
      // A worker stuck in a checkpoint is cut off rather than holding the shutdown.
      const cut = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(cut);
    },
  };
}
