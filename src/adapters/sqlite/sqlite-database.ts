import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** Migrations in order; the schema version of a file is how many of them it has run. */
const MIGRATIONS = [
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
];
const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Opens (creating if needed) the app's SQLite file and brings its schema up to date.
 *
 * WAL lets readers proceed while one writer commits; `synchronous = NORMAL` is durable across
 * process crashes in WAL mode (only an OS crash can lose the last commits) and much faster than
 * FULL; `busy_timeout` makes a second process wait for the write lock instead of failing at once.
 * The schema is versioned with `PRAGMA user_version` so reopening a file never re-runs a migration.
 */
export function openSqliteDatabase(path: string): Database.Database {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(resolve(path)), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Reads through a memory map instead of a read() per 4 KB page: a ~11 KB token partition
    // spans several overflow pages, and mmap made reading one about 3x faster (bench/).
    db.pragma('mmap_size = 1073741824');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`SQLite schema version ${version} is newer than this app supports (${SCHEMA_VERSION})`);
  }
  if (version === SCHEMA_VERSION) return;
  // user_version is part of the database header, so it commits or rolls back with the tables.
  db.transaction(() => {
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/**
 * Deletes expired token partitions, sessions and used token ids; returns how many rows were deleted.
 *
 * Deletes at most `batchSize` rows per statement, each its own transaction, so a large backlog never
 * holds the write lock long enough to stall sign-ins or token refreshes.
 */
export function sweepExpired(db: Database.Database, nowMs: number, batchSize = 500): number {
  const statements = [
    // token_partitions is WITHOUT ROWID: select the primary keys to delete instead.
    db.prepare<[number, number]>(`DELETE FROM token_partitions WHERE account_id IN
      (SELECT account_id FROM token_partitions WHERE expires_at <= ? LIMIT ?)`),
    db.prepare<[number, number]>(`DELETE FROM sessions WHERE rowid IN
      (SELECT rowid FROM sessions WHERE expires_at <= ? LIMIT ?)`),
    db.prepare<[number, number]>(`DELETE FROM used_token_ids WHERE id IN
      (SELECT id FROM used_token_ids WHERE expires_at <= ? LIMIT ?)`),
  ];
  let deleted = 0;
  for (const statement of statements) {
    let changes: number;
    do {
      changes = statement.run(nowMs, batchSize).changes;
      deleted += changes;
    } while (changes === batchSize);
  }
  return deleted;
}

/**
 * Runs `sweepExpired` every `intervalMs`. The timer is unref'd so it never keeps the process alive.
 * A failed sweep goes to `onError` (default: logged) instead of crashing the process from a timer.
 */
export function startExpirySweeper(
  db: Database.Database,
  options: { intervalMs: number; now?: () => number; onError?: (error: unknown) => void },
): { stop(): void } {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error('SQLite expiry sweep failed', error));
  const timer = setInterval(() => {
    try {
      sweepExpired(db, now());
    } catch (error) {
      onError(error);
    }
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
