import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** What the app's connection tells the worker (wal-checkpointer.ts). */
export interface WalCheckpointWorkerData {
  readonly path: string;
  readonly intervalMs: number;
}

/** What the worker reports: a checkpoint that moved frames, or the reason it stopped working. */
export type WalCheckpointReport =
  | { readonly type: 'checkpointed'; readonly walFrames: number; readonly checkpointedFrames: number }
  | { readonly type: 'failed'; readonly message: string };

/**
 * Runs in a worker thread with its own connection to the app's SQLite file, and copies committed
 * WAL frames into the database file every `intervalMs` (PASSIVE: it never waits for the app's
 * readers or writers). The fsyncs a checkpoint makes happen here, not on the event loop.
 */
const { path, intervalMs } = workerData as WalCheckpointWorkerData;
const port = parentPort!;
const db = new Database(path, { fileMustExist: true });
const checkpoint = db.prepare<[], { busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(PASSIVE)');
let last = { log: 0, checkpointed: 0 };

const timer = setInterval(() => {
  try {
    const { log, checkpointed } = checkpoint.get()!;
    // Reported once: a WAL nobody wrote to since answers the same two numbers every round.
    if (checkpointed > 0 && (log !== last.log || checkpointed !== last.checkpointed)) {
      port.postMessage({ type: 'checkpointed', walFrames: log, checkpointedFrames: checkpointed } satisfies WalCheckpointReport);
    }
    last = { log, checkpointed };
  } catch (error) {
    port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies WalCheckpointReport);
    stop();
  }
}, intervalMs);

port.on('message', (message: unknown) => {
  if (message === 'stop') stop();
});

function stop(): void {
  clearInterval(timer);
  if (db.open) db.close();
  port.close();
}
