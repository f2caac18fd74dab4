import { ConfigError } from './config.ts';

/**
 * Errors that say a configured path cannot be used at all (through a file, no permission, a
 * directory, not a database or not a journal, a database of a newer version or of another app), not that it failed for a moment: the
 * app then stops naming the setting, as for any other bad setting, instead of with a stack trace.
 * SQLite's lock errors (SQLITE_BUSY, SQLITE_LOCKED) are not among them: another process holds the
 * file for a while.
 */
const UNUSABLE = new Set([
  'EACCES',
  'EPERM',
  'EEXIST',
  'ENOTDIR',
  'EISDIR',
  'EROFS',
  'ENOENT',
  'ENAMETOOLONG',
  'ELOOP',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_PERM',
  'SQLITE_SCHEMA_NEWER',
  'SQLITE_OTHER_APP',
  'NOT_A_SIGN_OUT_JOURNAL',
]);

/** `error` as a ConfigError naming `setting` and its `path` when it says the path cannot be used; otherwise `error`. */
export function unusablePath(error: unknown, setting: string, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(UNUSABLE.has(code) || UNUSABLE.has(primarySqliteCode(code)))) return error;
  return new ConfigError(`${setting} "${path}" cannot be used: ${(error as Error).message}`, { cause: error });
}

/**
 * SQLite's primary result code of an extended one: better-sqlite3 reports extended codes
 * (https://www.sqlite.org/rescode.html#extrc), so a database in a directory the app cannot write
 * comes as `SQLITE_READONLY_DIRECTORY`, a directory as `SQLITE_CANTOPEN_ISDIR`.
 */
function primarySqliteCode(code: string): string {
  return /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
}
