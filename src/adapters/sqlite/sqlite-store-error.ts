import { StoreUnavailable } from '../../domain/errors.ts';

/**
 * Primary SQLite result codes that say the database cannot serve right now — locked by another
 * process past the busy timeout, disk full or failing, file missing, read-only or damaged — as
 * opposed to the caller's bug (SQL error, constraint, misuse), which is rethrown untouched.
 * better-sqlite3 reports extended codes (`SQLITE_IOERR_WRITE`, `SQLITE_READONLY_DBMOVED`), so the
 * primary code is their first two parts. https://www.sqlite.org/rescode.html
 */
const UNAVAILABLE = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_PERM',
  'SQLITE_NOLFS',
]);

/**
 * better-sqlite3's own refusal to use a closed database (a TypeError with no code,
 * https://github.com/WiseLibs/better-sqlite3/blob/master/src/util/macros.cpp): the store is gone,
 * as a closed Redis connection is, not the caller's bug.
 */
const CLOSED = 'The database connection is not open';

/** Whether a thrown error is SQLite saying it cannot serve now (see UNAVAILABLE), or its database closed. */
export function isSqliteUnavailable(error: unknown): boolean {
  if (error instanceof TypeError && error.message === CLOSED) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return UNAVAILABLE.has(code.split('_', 2).join('_'));
}

/**
 * Runs one SQLite store operation, rethrowing "cannot serve now" failures as the domain's
 * `StoreUnavailable` (original as `cause`), as the Redis stores do: the same outage gives the same
 * answer (503) whichever store is behind the port.
 */
export function guarded<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (!isSqliteUnavailable(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreUnavailable(`SQLite store failed: ${reason}`, { cause: error });
  }
}
