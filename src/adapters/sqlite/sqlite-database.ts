import { chmodSync, closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { makeDirectories } from '../make-directories.ts';

/**
 * Migrations in order; the schema version of a file is how many of them it has run. Exported so a
 * test can build a file as an earlier version left it and open it with this one.
 */
export const MIGRATIONS = [
  `
  CREATE TABLE IF NOT EXISTS token_partitions (
    account_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    version TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS token_partitions_expires_at ON token_partitions (expires_at);

  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    sid TEXT,
    subject TEXT,
    account_id TEXT,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sessions_sid ON sessions (sid) WHERE sid IS NOT NULL;
  CREATE INDEX IF NOT EXISTS sessions_subject ON sessions (subject) WHERE subject IS NOT NULL;
  CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
`,
  // Ids of one-time tokens already used (back-channel logout token `jti`), kept until they expire.
  `
  CREATE TABLE IF NOT EXISTS used_token_ids (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS used_token_ids_expires_at ON used_token_ids (expires_at);
`,
  // A covering index for the version check made on every request: without it SQLite walks the
  // ~10 KB row's overflow pages to reach the version stored after the data.
  `
  CREATE INDEX IF NOT EXISTS token_partitions_version ON token_partitions (account_id, version, expires_at);
`,
  // The sessions of one token partition, for the operator's sign-out by account.
  `
  CREATE INDEX IF NOT EXISTS sessions_account_id ON sessions (account_id) WHERE account_id IS NOT NULL;
`,
  // token_partitions becomes a rowid table, its small columns first. SQLite advises WITHOUT ROWID
  // only for rows under about a twentieth of a page (https://www.sqlite.org/withoutrowid.html,
  // section 4); a partition is ~10 KB, and reading one at random among 20,000 cost 18–24 µs of CPU
  // WITHOUT ROWID against 8–12 µs as a rowid table (measured here with better-sqlite3 13).
  `
  CREATE TABLE token_partitions_rebuilt (
    account_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    data TEXT NOT NULL
  );
  INSERT INTO token_partitions_rebuilt (account_id, version, expires_at, data)
    SELECT account_id, version, expires_at, data FROM token_partitions;
  DROP TABLE token_partitions;
  ALTER TABLE token_partitions_rebuilt RENAME TO token_partitions;
  CREATE INDEX token_partitions_expires_at ON token_partitions (expires_at);
  CREATE INDEX token_partitions_version ON token_partitions (account_id, version, expires_at);
`,
  // Each partition's summary (the access tokens the request path needs, a third to a half of the
  // partition), stored before the data: SQLite reads a row's payload front to back along its
  // overflow pages, so a summary read stops before the data's pages. A column added with ALTER
  // TABLE would go after the data, and every summary read would walk the data's pages to reach it.
  // Partitions written before this step have none until their next write.
  `
  CREATE TABLE token_partitions_rebuilt (
    account_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    summary TEXT,
    data TEXT NOT NULL
  );
  INSERT INTO token_partitions_rebuilt (account_id, version, expires_at, data)
    SELECT account_id, version, expires_at, data FROM token_partitions;
  DROP TABLE token_partitions;
  ALTER TABLE token_partitions_rebuilt RENAME TO token_partitions;
  CREATE INDEX token_partitions_expires_at ON token_partitions (expires_at);
  CREATE INDEX token_partitions_version ON token_partitions (account_id, version, expires_at);
`,
  // A log of removed partitions, filled by a trigger whoever deletes (a sign-out, the expiry sweep,
  // the operator's command, an older release): how every process on the file learns that a
  // partition it holds parsed in memory is gone (sqlite-partition-removals.ts). A migration that
  // rebuilds token_partitions drops the trigger with the old table and must create it again.
  `
  CREATE TABLE token_partition_removals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL
  );
  CREATE TRIGGER token_partition_removed AFTER DELETE ON token_partitions
  BEGIN
    INSERT INTO token_partition_removals (account_id) VALUES (old.account_id);
  END;
`,
  // One refresh per account across the processes on the file (sqlite-refresh-lock.ts).
  `
  CREATE TABLE refresh_locks (
    account_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`,
  // Each session's sign-in time beside its index fields: a sign-out journaled during an outage and
  // applied later ends only the sessions signed in before it came. Sessions saved before this step
  // have none until they are saved again, and are ended by any such sign-out that names them.
  `
  ALTER TABLE sessions ADD COLUMN signed_in_at INTEGER;
`,
  // The app (CLIENT_ID) whose sessions and tokens the file holds: its tables have no client column,
  // so two apps on one file would list and end each other's sessions (claimedFor, below).
  `
  CREATE TABLE app_client (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    client_id TEXT NOT NULL
  );
`,
];
const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * How long a statement waits for a lock another process holds before it fails with SQLITE_BUSY
 * (then StoreUnavailable, sqlite-store-error.ts). better-sqlite3 is synchronous, so while SQLite
 * waits the whole event loop is frozen and every other request waits too: the wait must stay
 * short. 200 ms is far above the longest write this app makes (one sweep batch of 500 rows: about
 * 10 ms here) and short enough that a lock stuck elsewhere costs a brief stall and a clear
 * failure, not seconds of hang.
 */
const BUSY_TIMEOUT_MS = 200;
/** While opening nothing is served yet, so waiting longer for a migration lock freezes no request. */
const OPEN_BUSY_TIMEOUT_MS = 5000;
const OWNER_ONLY = 0o600;

/**
 * Opens (creating if needed) the app's SQLite file and brings its schema up to date.
 *
 * The file is readable by this user only (0600): it holds token partitions and sessions. SQLite
 * creates the `-wal` and `-shm` files with the database file's own mode (os_unix.c
 * `findCreateFileMode`, https://github.com/sqlite/sqlite/blob/master/src/os_unix.c), so they
 * follow.
 *
 * WAL lets readers proceed while one writer commits; `synchronous = NORMAL` is durable across
 * process crashes in WAL mode (only an OS crash can lose the last commits) and much faster than
 * FULL; `busy_timeout` makes a statement wait briefly for a lock held by another process instead
 * of failing at once. The schema is versioned with `PRAGMA user_version` so reopening a file never
 * re-runs a migration.
 */
export function openSqliteDatabase(path: string): Database.Database {
  if (path !== ':memory:' && path !== '') createOwnerOnly(path);
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Reads through a memory map instead of a read() per 4 KB page: a ~11 KB token partition
    // spans several overflow pages, and mmap made reading one about 3x faster (bench/).
    db.pragma('mmap_size = 1073741824');
    // A removed partition's or session's bytes (a refresh token, when ALLOW_PLAINTEXT_TOKENS) must not
    // stay in the file: SQLite otherwise leaves deleted rows in free pages until they are reused.
    // `secure_delete` zeroes them in the database; `journal_size_limit = 0` truncates the WAL
    // after each restart, so frames older than the last checkpoint (the row before its removal) do
    // not linger past the file's end either (walFrames/walRestartLog in
    // https://github.com/sqlite/sqlite/blob/master/src/wal.c). Both are per connection.
    db.pragma('secure_delete = ON');
    db.pragma('journal_size_limit = 0');
    db.pragma('foreign_keys = ON');
    migrate(db);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Creates the database file with mode 0600 if it is missing, and takes group and other access
 * away from it and from `-wal`/`-shm` files left by an earlier run. A file that is not a SQLite
 * database (a mistyped SQLITE_PATH naming someone's text file) is left as it is: opening it fails
 * next, and it is not this app's to change.
 */
function createOwnerOnly(path: string): void {
  makeDirectories(dirname(resolve(path)));
  const fd = openSync(path, 'a+', OWNER_ONLY);
  let isDatabase: boolean;
  try {
    isDatabase = isEmptyOrSqlite(fd);
  } finally {
    closeSync(fd);
  }
  if (!isDatabase) return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if ((mode & 0o077) !== 0) chmodSync(file, OWNER_ONLY);
  }
}

/** Whether the open file is empty (just created) or starts with SQLite's header string (https://www.sqlite.org/fileformat.html, 1.3). */
function isEmptyOrSqlite(fd: number): boolean {
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const read = readSync(fd, header, 0, header.length, 0);
  return read === 0 || (read === SQLITE_HEADER.length && header.equals(SQLITE_HEADER));
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function migrate(db: Database.Database): void {
  if (schemaVersion(db) === SCHEMA_VERSION) return;
  // user_version is part of the database header, so it commits or rolls back with the tables. It
  // is read again once the write lock is held: in WAL mode the first read sees the last commit, so
  // a process starting while another one migrates would otherwise wait for the lock, then run the
  // same migrations a second time (copying the table again, losing what was written in between).
  db.transaction(() => {
    const version = schemaVersion(db);
    if (version === SCHEMA_VERSION) return;
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** The file's schema version; a file from a newer release of the app is refused. */
function schemaVersion(db: Database.Database): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw Object.assign(new Error(`SQLite schema version ${version} is newer than this app supports (${SCHEMA_VERSION})`), {
      code: 'SQLITE_SCHEMA_NEWER',
    });
  }
  return version;
}

/**
 * Makes sure the file is `clientId`'s: refused (code `SQLITE_OTHER_APP`) when another app has
 * claimed it. Sessions are found by subject and token partitions by account, with no client id in
 * either key, so a second app on the file (a copied configuration, the default SQLITE_PATH in one
 * working folder) would list its sessions on this one's sessions page, end them with its "sign out
 * everywhere" and share its users' token partitions. `record`: an app instance claims a file no
 * app has claimed yet (one from before the claim); the operator's command only checks, so a
 * mistyped CLIENT_ID cannot claim the app's file and keep the app from starting.
 *
 * Read first, outside a transaction: a claimed file (every start but the first) takes no write lock,
 * so an instance starts while another process is writing. Claimed under the write lock, read again
 * there, with the opening's longer wait for it.
 */
export function claimedFor(db: Database.Database, clientId: string, mode: 'record' | 'check'): Database.Database {
  const holderOf = () => (db.prepare('SELECT client_id FROM app_client WHERE only_row = 1').get() as { client_id: string } | undefined)?.client_id;
  let holder = holderOf();
  if (holder === undefined && mode === 'record') {
    const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
    try {
      holder = db.transaction(() => {
        const claimed = holderOf();
        if (claimed !== undefined) return claimed;
        db.prepare('INSERT INTO app_client (only_row, client_id) VALUES (1, ?)').run(clientId);
        return clientId;
      }).immediate();
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
    }
  }
  if (holder !== undefined && holder !== clientId) {
    throw Object.assign(
      new Error(`it holds the sessions and tokens of another app (CLIENT_ID ${JSON.stringify(holder)}); give each app a SQLITE_PATH of its own`),
      { code: 'SQLITE_OTHER_APP' },
    );
  }
  return db;
}

/**
 * Whether the file at `path` holds the app's tables, read without changing it: opening it the app's
 * way (openSqliteDatabase) would give any other file (an empty one, another program's) the app's
 * schema. A file that cannot be read as a database answers `true`: opening it then says why.
 */
export function holdsAppSchema(path: string): boolean {
  // Opened read-only, a WAL database may still get its -wal and -shm files (SQLite's own). They are
  // left: removing them could race a process that opens the file at that moment and lose its writes.
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'token_partitions'").get() !== undefined;
  } catch {
    return true;
  } finally {
    db?.close();
  }
}
