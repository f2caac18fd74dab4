import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { guarded } from './sqlite-store-error.ts';

/**
 * A short lock per account in the SQLite file (a `refresh_locks` row, `expires_at` in ms), so that
 * of several processes on one file only one refreshes an account's tokens at a time: without it,
 * two app processes on one host (a pm2 cluster) could each redeem the same refresh token, and a
 * provider that rotates refresh tokens and detects reuse revokes the whole family. As the Redis
 * lock: taken by one atomic statement, taken over once expired, released only by its holder.
 * Each take and release is a write of its own, committed at once; nothing is held across the
 * refresh's network call but the row.
 */
export class SqliteRefreshLock {
  readonly #take: Database.Statement<[string, string, number, number]>;
  readonly #extend: Database.Statement<[number, string, string]>;
  readonly #release: Database.Statement<[string, string]>;
  readonly #now: () => number;

  constructor(deps: { db: Database.Database; now?: () => number }) {
    this.#now = deps.now ?? Date.now;
    this.#take = deps.db.prepare(`INSERT INTO refresh_locks (account_id, holder, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (account_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE refresh_locks.expires_at <= ?`);
    this.#extend = deps.db.prepare('UPDATE refresh_locks SET expires_at = ? WHERE account_id = ? AND holder = ?');
    this.#release = deps.db.prepare('DELETE FROM refresh_locks WHERE account_id = ? AND holder = ?');
  }

  async tryAcquire(accountId: string, ttlMs: number): Promise<{ extend(ttlMs: number): Promise<boolean>; release(): Promise<void> } | undefined> {
    const holder = randomUUID();
    const now = this.#now();
    if (guarded(() => this.#take.run(accountId, holder, now + ttlMs, now)).changes !== 1) return undefined;
    return {
      // The row stays this holder's until another takes it over (expired), so an expired lock not
      // yet taken is extended too: no one else can be refreshing the account then.
      extend: async (extendedTtlMs) => guarded(() => this.#extend.run(this.#now() + extendedTtlMs, accountId, holder)).changes === 1,
      release: async () => {
        guarded(() => this.#release.run(accountId, holder));
      },
    };
  }
}
