import type Database from 'better-sqlite3';
import type { SqliteFileIdentity } from './sqlite-file-identity.ts';
import { guarded } from './sqlite-store-error.ts';

/**
 * Tells the SQLite stores whether what they remember of the file may be out of date.
 *
 * Other processes write the same file: the operator's `npm run signout`, another instance on the
 * same host. SQLite has no channel to announce that, but `PRAGMA data_version` changes whenever
 * another connection has committed, and never for this connection's own commits
 * (https://www.sqlite.org/pragma.html#pragma_data_version). This connection's own writes go through
 * the stores, which forget what they change themselves.
 *
 * The file is looked at once per task (an I/O callback, a timer: what the event loop runs, with the
 * promise callbacks it sets off), not once per read: a signed-in request reads its session and its
 * token version in one task, and one look (a read transaction, ~3 µs) replaces the two reads it
 * saves. A commit by another process is therefore seen by the next task that reads the file, so by
 * every request whose bytes came in after it. Once per event-loop turn, as this was, a look a timer
 * made (this class's own, a refresh's wait) served the requests read later in the same turn,
 * which may have come in after another process's sign-out. With `lookEveryMs` the file is
 * also looked at on a timer, so an instance that serves no request still hears of a change and
 * drops what it holds (`onMoved`); with `identity`, the timer also makes sure the path still names
 * the file opened: once it does not, every copy is dropped and every look fails (`StoreUnavailable`).
 */
export class SqliteFileChanges {
  readonly #dataVersion: Database.Statement<[], number>;
  #lastDataVersion: number;
  #generation = 0;
  #lookedThisTask = false;
  readonly #nextTask = () => {
    this.#lookedThisTask = false;
  };
  /**
   * Queued as a microtask by a look, it queues the reset as a `nextTick`, which Node runs only once
   * the microtasks the task set off have all run: a request's later reads, in promise callbacks,
   * share its look; the next I/O callback or timer looks again.
   */
  readonly #endOfTask = () => process.nextTick(this.#nextTask);
  readonly #movedListeners: Array<() => void> = [];
  readonly #timer: NodeJS.Timeout | undefined;
  #fileLost: Error | undefined;

  constructor(db: Database.Database, options: { lookEveryMs?: number; identity?: SqliteFileIdentity } = {}) {
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#lastDataVersion = guarded(() => this.#dataVersion.get()!);
    const { identity } = options;
    if (options.lookEveryMs !== undefined) {
      this.#timer = setInterval(() => {
        if (identity && !this.#fileLost) {
          try {
            identity.assertSameFile();
          } catch {
            // Gone from its path, the file is never to be read again: what was read from it is
            // dropped, and every look fails from now on. Not to be looked at now, it may be later.
            if (identity.lost) {
              this.#fileLost = identity.lost;
              for (const listener of this.#movedListeners) listener();
            }
            return;
          }
        }
        try {
          this.generation();
        } catch {
          // The file cannot be read now: the next request's read fails and says so.
        }
      }, options.lookEveryMs).unref();
    }
  }

  /** `listener` runs (synchronously, inside the look) whenever another connection is seen to have committed. */
  onMoved(listener: () => void): void {
    this.#movedListeners.push(listener);
  }

  /** Stops the timer of `lookEveryMs`. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /**
   * A number that moves on whenever another connection may have changed the file. Whatever a store
   * remembered under an earlier number must be read again. Rejects like a read when the file
   * cannot be read (`StoreUnavailable`).
   */
  generation(): number {
    if (this.#fileLost) throw this.#fileLost;
    if (this.#lookedThisTask) return this.#generation;
    const dataVersion = guarded(() => this.#dataVersion.get()!);
    this.#lookedThisTask = true;
    queueMicrotask(this.#endOfTask);
    if (dataVersion !== this.#lastDataVersion) {
      this.#lastDataVersion = dataVersion;
      this.#generation++;
      for (const listener of this.#movedListeners) listener();
    }
    return this.#generation;
  }
}

/** Rows remembered when the store is not told otherwise: about the number in use at once on one instance. */
const REMEMBERED_ROWS = 10_000;

/**
 * Rows a store read lately, each valid while the file's generation is the one it was read under
 * and until its own expiry. Bounded: the oldest read is forgotten first. All are dropped the
 * moment the file is seen to have changed, rather than one by one as they are next asked for.
 * Without `fileChanges` nothing is remembered and the file is never looked at.
 */
export class RememberedRows<V> {
  readonly #rows = new Map<string, { value: V; expiresAt: number; generation: number }>();
  readonly #fileChanges: SqliteFileChanges | undefined;
  readonly #maxEntries: number;

  constructor(options: { fileChanges?: SqliteFileChanges; maxEntries?: number }) {
    this.#fileChanges = options.fileChanges;
    this.#maxEntries = options.fileChanges ? (options.maxEntries ?? REMEMBERED_ROWS) : 0;
    options.fileChanges?.onMoved(() => this.#rows.clear());
  }

  /** The file's generation now: take it before reading a row that `set` will remember. */
  generation(): number {
    return this.#fileChanges?.generation() ?? 0;
  }

  /** The row read for `key`, if it is still current at `generation` and unexpired at `now`. */
  get(key: string, generation: number, now: number): V | undefined {
    const row = this.#rows.get(key);
    if (!row) return undefined;
    if (row.generation === generation && row.expiresAt > now) return row.value;
    this.#rows.delete(key);
    return undefined;
  }

  set(key: string, value: V, expiresAt: number, generation: number): void {
    if (this.#maxEntries <= 0) return;
    this.#rows.delete(key);
    if (this.#rows.size >= this.#maxEntries) this.#rows.delete(this.#rows.keys().next().value!);
    this.#rows.set(key, { value, expiresAt, generation });
  }

  forget(key: string): void {
    this.#rows.delete(key);
  }

  get size(): number {
    return this.#rows.size;
  }
}
