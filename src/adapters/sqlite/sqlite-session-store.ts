import type Database from 'better-sqlite3';
import type { IndexedSession, SessionIndex, SessionStore } from '../../ports/session-store.port.ts';
import { RememberedRows, type SqliteFileChanges } from './sqlite-file-changes.ts';
import { guarded } from './sqlite-store-error.ts';
import { storedSessionData } from '../stored-session-data.ts';

interface SessionRow {
  id: string;
  data: string;
  sid: string | null;
  subject: string | null;
  accountId: string | null;
  signedInAt: number | null;
  expiresAt: number;
}

interface IndexRow {
  id: string;
  subject: string | null;
  accountId: string | null;
  signedInAt: number | null;
}

/**
 * SessionStore on the app's SQLite file (see sqlite-database.ts for the schema).
 *
 * `sid`, `subject` and `account_id` are columns with partial indexes, so a sign-out finds the
 * sessions without the user's cookie and without a table scan. Expired rows are filtered out by
 * every query and deleted by `sweepExpired`. A database that cannot serve (locked past the busy
 * timeout, disk full, I/O error) rejects with `StoreUnavailable`.
 *
 * With `fileChanges`, `get` remembers the rows it read (the JSON text, parsed again for every
 * caller) until another process changes the file, the row expires, or this store writes it: a
 * signed-in request then costs one look at the file per task instead of a read. Only
 * one store instance per connection may remember rows (the app's); writes made through another
 * instance on the same connection would not be seen.
 */
export class SqliteSessionStore implements SessionStore {
  readonly #now: () => number;
  readonly #select: Database.Statement<[string, number], { data: string; expiresAt: number }>;
  readonly #remembered: RememberedRows<string>;
  readonly #upsert: Database.Statement<SessionRow>;
  readonly #update: Database.Statement<SessionRow & { now: number }>;
  readonly #delete: Database.Statement<[string], { expiresAt: number }>;
  readonly #selectBySid: Database.Statement<[string, number], IndexRow>;
  readonly #selectBySubject: Database.Statement<[string, number], IndexRow>;
  readonly #selectByAccount: Database.Statement<[string, number], IndexRow>;

  constructor(deps: { db: Database.Database; now?: () => number; fileChanges?: SqliteFileChanges; remember?: number }) {
    this.#now = deps.now ?? Date.now;
    this.#remembered = new RememberedRows({ fileChanges: deps.fileChanges, maxEntries: deps.remember });
    const { db } = deps;
    this.#select = db.prepare('SELECT data, expires_at AS expiresAt FROM sessions WHERE id = ? AND expires_at > ?');
    this.#upsert = db.prepare(`
      INSERT INTO sessions (id, data, sid, subject, account_id, signed_in_at, expires_at)
      VALUES (@id, @data, @sid, @subject, @accountId, @signedInAt, @expiresAt)
      ON CONFLICT (id) DO UPDATE SET data = excluded.data, sid = excluded.sid, subject = excluded.subject,
        account_id = excluded.account_id, signed_in_at = excluded.signed_in_at, expires_at = excluded.expires_at`);
    this.#update = db.prepare(`
      UPDATE sessions SET data = @data, sid = @sid, subject = @subject, account_id = @accountId,
        signed_in_at = @signedInAt, expires_at = @expiresAt
      WHERE id = @id AND expires_at > @now`);
    this.#delete = db.prepare('DELETE FROM sessions WHERE id = ? RETURNING expires_at AS expiresAt');
    const indexed = 'SELECT id, subject, account_id AS accountId, signed_in_at AS signedInAt FROM sessions';
    this.#selectBySid = db.prepare(`${indexed} WHERE sid = ? AND expires_at > ?`);
    this.#selectBySubject = db.prepare(`${indexed} WHERE subject = ? AND expires_at > ?`);
    this.#selectByAccount = db.prepare(`${indexed} WHERE account_id = ? AND expires_at > ?`);
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const now = this.#now();
    const generation = this.#remembered.generation();
    const remembered = this.#remembered.get(id, generation, now);
    if (remembered !== undefined) return storedSessionData(remembered);
    const row = guarded(() => this.#select.get(id, now));
    if (!row) return undefined;
    this.#remembered.set(id, row.data, row.expiresAt, generation);
    return storedSessionData(row.data);
  }

  async set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void> {
    const row = this.#row(id, data, index, ttlMs);
    this.#remembered.forget(id);
    guarded(() => this.#upsert.run(row));
  }

  async update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean> {
    const row = { ...this.#row(id, data, index, ttlMs), now: this.#now() };
    this.#remembered.forget(id);
    return guarded(() => this.#update.run(row)).changes === 1;
  }

  #row(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): SessionRow {
    return {
      id,
      data: JSON.stringify(data),
      sid: index.sid ?? null,
      subject: index.subject ?? null,
      accountId: index.accountId ?? null,
      signedInAt: index.signedInAt ?? null,
      expiresAt: this.#now() + ttlMs,
    };
  }

  async destroy(id: string): Promise<boolean> {
    this.#remembered.forget(id);
    const deleted = guarded(() => this.#delete.get(id));
    return deleted !== undefined && deleted.expiresAt > this.#now();
  }

  async findBySid(sid: string): Promise<IndexedSession[]> {
    return guarded(() => this.#selectBySid.all(sid, this.#now())).map(toIndexedSession);
  }

  async findBySubject(subject: string): Promise<IndexedSession[]> {
    return guarded(() => this.#selectBySubject.all(subject, this.#now())).map(toIndexedSession);
  }

  async findByAccount(accountId: string): Promise<IndexedSession[]> {
    return guarded(() => this.#selectByAccount.all(accountId, this.#now())).map(toIndexedSession);
  }
}

function toIndexedSession({ id, subject, accountId, signedInAt }: IndexRow): IndexedSession {
  return { id, ...(subject !== null && { subject }), ...(accountId !== null && { accountId }), ...(signedInAt !== null && { signedInAt }) };
}
