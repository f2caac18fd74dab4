import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { partitionTtlMs, type TokenPartition, type TokenPartitionSummary, type TokenStore } from '../../ports/token-store.port.ts';
import { RememberedRows, type SqliteFileChanges } from './sqlite-file-changes.ts';
import { guarded } from './sqlite-store-error.ts';

interface WriteParams {
  accountId: string;
  data: string;
  summary: string | null;
  version: string;
  expiresAt: number;
}

/**
 * TokenStore on the app's SQLite file (see sqlite-database.ts for the schema).
 *
 * Compare-and-set is one conditional UPDATE, so it stays atomic even with several processes on the
 * same file. Versions are random so a remove + re-create can never reuse a version (no ABA).
 * Expired rows count as absent here; `sweepExpired` deletes them. A database that cannot serve
 * (locked past the busy timeout, disk full, I/O error) rejects with `StoreUnavailable`.
 *
 * With `fileChanges`, the version of each partition read is remembered until another process
 * changes the file, the partition expires, or this store writes or removes it: the version check
 * every signed-in request makes then costs one look at the file per task (shared with
 * the session store) instead of a read. Only one store instance per connection may remember
 * versions (the app's); writes made through another instance on the same connection would not be
 * seen.
 */
export class SqliteTokenStore implements TokenStore {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #select: Database.Statement<[string, number], TokenPartition & { expiresAt: number }>;
  readonly #selectSummary: Database.Statement<[string, number], { summary: string | null; version: string; expiresAt: number }>;
  readonly #selectVersion: Database.Statement<[string, number], { version: string; expiresAt: number }>;
  readonly #versions: RememberedRows<string>;
  readonly #upsert: Database.Statement<WriteParams>;
  readonly #compareAndSet: Database.Statement<WriteParams & { expectedVersion: string; now: number }>;
  readonly #delete: Database.Statement<[string]>;
  readonly #compareAndDelete: Database.Statement<[string, string]>;
  readonly #keepUntil: Database.Statement<{ accountId: string; expiresAt: number; now: number }>;

  constructor(deps: {
    db: Database.Database;
    tokenTtlSeconds?: number;
    now?: () => number;
    fileChanges?: SqliteFileChanges;
    remember?: number;
  }) {
    this.#ttlMs = partitionTtlMs(deps.tokenTtlSeconds);
    this.#now = deps.now ?? Date.now;
    this.#versions = new RememberedRows({ fileChanges: deps.fileChanges, maxEntries: deps.remember });
    const { db } = deps;
    this.#select = db.prepare(
      'SELECT data, version, expires_at AS expiresAt FROM token_partitions WHERE account_id = ? AND expires_at > ?',
    );
    // The summary comes before the data in the row: this read stops short of the data's pages.
    this.#selectSummary = db.prepare(
      'SELECT summary, version, expires_at AS expiresAt FROM token_partitions WHERE account_id = ? AND expires_at > ?',
    );
    // INDEXED BY: the covering index answers without touching the ~10 KB row (see sqlite-database.ts).
    this.#selectVersion = db.prepare(
      'SELECT version, expires_at AS expiresAt FROM token_partitions INDEXED BY token_partitions_version WHERE account_id = ? AND expires_at > ?',
    );
    this.#upsert = db.prepare(`
      INSERT INTO token_partitions (account_id, data, summary, version, expires_at)
      VALUES (@accountId, @data, @summary, @version, @expiresAt)
      ON CONFLICT (account_id) DO UPDATE
        SET data = excluded.data, summary = excluded.summary, version = excluded.version, expires_at = excluded.expires_at`);
    // A refresh leaves the expiry alone: only a sign-in's write and keepUntil move it.
    this.#compareAndSet = db.prepare(`
      UPDATE token_partitions SET data = @data, summary = @summary, version = @version
      WHERE account_id = @accountId AND version = @expectedVersion AND expires_at > @now`);
    this.#delete = db.prepare('DELETE FROM token_partitions WHERE account_id = ?');
    this.#compareAndDelete = db.prepare('DELETE FROM token_partitions WHERE account_id = ? AND version = ?');
    this.#keepUntil = db.prepare(`
      UPDATE token_partitions SET expires_at = @expiresAt
      WHERE account_id = @accountId AND expires_at > @now AND expires_at < @expiresAt`);
  }

  async read(accountId: string): Promise<TokenPartition | undefined> {
    const row = this.#unexpiredRow(this.#select, accountId);
    return row && { data: row.data, version: row.version };
  }

  async readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    const row = this.#unexpiredRow(this.#selectSummary, accountId);
    return row && { summary: summaryOfVersion(row.summary, row.version), version: row.version };
  }

  async version(accountId: string): Promise<string | undefined> {
    const remembered = this.#versions.get(accountId, this.#versions.generation(), this.#now());
    return remembered ?? this.#unexpiredRow(this.#selectVersion, accountId)?.version;
  }

  /** The partition's unexpired row as `select` reads it; the version it brings is remembered. */
  #unexpiredRow<R extends { version: string; expiresAt: number }>(select: Database.Statement<[string, number], R>, accountId: string): R | undefined {
    const now = this.#now();
    const generation = this.#versions.generation();
    const row = guarded(() => select.get(accountId, now));
    if (row) this.#versions.set(accountId, row.version, row.expiresAt, generation);
    return row;
  }

  async write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    this.#versions.forget(accountId);
    const now = this.#now();
    const version = randomUUID();
    const params = { accountId, data, summary: summary === undefined ? null : versionedSummary(version, summary), version, expiresAt: now + this.#ttlMs };
    if (expectedVersion === undefined) {
      guarded(() => this.#upsert.run(params));
      return true;
    }
    return guarded(() => this.#compareAndSet.run({ ...params, expectedVersion, now })).changes === 1;
  }

  async keepUntil(accountId: string, expiresAt: number): Promise<void> {
    this.#versions.forget(accountId); // the remembered row carries the old expiry
    guarded(() => this.#keepUntil.run({ accountId, expiresAt: Math.ceil(expiresAt), now: this.#now() }));
  }

  async remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    this.#versions.forget(accountId);
    if (expectedVersion === undefined) {
      guarded(() => this.#delete.run(accountId));
      return true;
    }
    return guarded(() => this.#compareAndDelete.run(accountId, expectedVersion)).changes === 1;
  }
}

/**
 * A summary is stored as `<version> <summary>`, the version of the write that gave it, and read only
 * while the partition still has that version, as RedisTokenStore stores it. A process of an earlier
 * release on the same file (during a rolling upgrade) rewrites the data and the version without
 * knowing of the summary; its summary, left behind, then reads as none, instead of older tokens
 * passing for the current ones.
 */
function versionedSummary(version: string, summary: string): string {
  return `${version} ${summary}`;
}

/** The stored summary when it was written with `version`, else `undefined` (one of an earlier write, or none). */
function summaryOfVersion(stored: string | null, version: string): string | undefined {
  return stored?.startsWith(`${version} `) ? stored.slice(version.length + 1) : undefined;
}
