import type Database from 'better-sqlite3';
import type { SqliteFileChanges } from './sqlite-file-changes.ts';
import { guarded } from './sqlite-store-error.ts';

/** Removals kept in the log for processes that have not read them yet; the sweep deletes older ones. */
export const KEPT_REMOVALS = 10_000;

/**
 * How long a removal stays in the log at most (the sweep that trims it comes up to a sweep interval
 * later). Every running process reads the log at least once a second (SqliteFileChanges' timer);
 * one that has not read it for this long finds a gap and forgets everything. Without it the log kept
 * the account ids of signed-out users until 10,000 more removals pushed them out: on a small site,
 * for good.
 */
export const REMOVALS_KEPT_MS = 5 * 60_000;

/**
 * The sequence number of the last removal logged (kept by AUTOINCREMENT even when the sweep has
 * deleted its row); none before the first.
 */
export function lastLoggedRemoval(db: Database.Database): Database.Statement<[], number> {
  return db.prepare<[], number>("SELECT seq FROM sqlite_sequence WHERE name = 'token_partition_removals'").pluck();
}

/** Who hears of removals: the partition cache (the shape of its `PartitionChanges` listener). */
export interface RemovalListener {
  /** The account's partition was removed, by this process or another. */
  changed(accountId: string): void;
  /** Removals were missed (this process fell more than KEPT_REMOVALS behind): forget everything. */
  lost(): void;
}

/**
 * Partitions removed from the file by any process, read from the log a trigger keeps
 * (`token_partition_removals`, sqlite-database.ts). SQLite has no channel like Redis' invalidations;
 * this is what stands in for one, so that a sign-out made by another process (the operator's
 * `npm run signout`, a second instance on the host) or an expiry sweep drops this process's parsed
 * copy of the account's tokens, instead of leaving them in memory until the account is next
 * looked up or pushed out by the cache's bound.
 *
 * The log is read whenever `fileChanges` sees another connection's commit (once per task
 * at most, from the requests, and on its timer when none come), and by `readLog` after this
 * process's own sweep, whose deletes `PRAGMA data_version` does not report. Correctness never
 * depends on it: every use of a parsed partition is still checked against the stored version.
 */
export class SqlitePartitionRemovals {
  readonly #since: Database.Statement<[number], { seq: number; accountId: string }>;
  readonly #lastLogged: Database.Statement<[], number>;
  /** The rows after a sequence number and, when there are none, the log's last number: one read transaction, one snapshot. */
  readonly #unread: (afterSeq: number) => { rows: { seq: number; accountId: string }[]; last: number | undefined };
  readonly #listeners: RemovalListener[] = [];
  #lastSeq: number;

  constructor(deps: { db: Database.Database; fileChanges: SqliteFileChanges }) {
    this.#since = deps.db.prepare('SELECT seq, account_id AS accountId FROM token_partition_removals WHERE seq > ? ORDER BY seq');
    this.#lastLogged = lastLoggedRemoval(deps.db);
    this.#unread = deps.db.transaction((afterSeq: number) => {
      const rows = this.#since.all(afterSeq);
      return { rows, last: rows.length === 0 ? this.#lastLogged.get() : undefined };
    });
    // What was removed before this process started is in no memory of it.
    this.#lastSeq = guarded(() => this.#lastLogged.get()) ?? 0;
    deps.fileChanges.onMoved(() => this.#readLogOrForgetAll());
  }

  /** Always: the log is in the file, and a removal made while nobody read it is read later. */
  listening(): boolean {
    return true;
  }

  subscribe(listener: RemovalListener): void {
    this.#listeners.push(listener);
  }

  /**
   * As `readLog`, inside another read's look at the file: a log that cannot be read now must not
   * fail that read (its own look succeeded), and what it would have said is unknown, so every
   * listener forgets everything (fail closed); the rows are read, and reported again, next time.
   */
  #readLogOrForgetAll(): void {
    try {
      this.readLog();
    } catch {
      for (const listener of this.#listeners) listener.lost();
    }
  }

  /** Tells the listeners of every removal logged since the last read. Rejects like a read (`StoreUnavailable`). */
  readLog(): void {
    const { rows, last } = guarded(() => this.#unread(this.#lastSeq));
    if (rows.length === 0) {
      // Nothing left to read may still be removals swept away unread: every one, when this process
      // fell behind the whole log (paused, as a stopped container is, past its 5 minutes). Read in
      // the rows' snapshot: a removal committed after them is read next time, not taken for a loss.
      if ((last ?? 0) <= this.#lastSeq) return;
      this.#lastSeq = last!;
      for (const listener of this.#listeners) listener.lost();
      return;
    }
    // Sequence numbers have no gaps (AUTOINCREMENT, rolled back with a failed write), so a gap is
    // rows the sweep deleted before this process read them.
    const missed = rows[0]!.seq !== this.#lastSeq + 1;
    this.#lastSeq = rows.at(-1)!.seq;
    for (const listener of this.#listeners) {
      if (missed) listener.lost();
      else for (const { accountId } of rows) listener.changed(accountId);
    }
  }
}
