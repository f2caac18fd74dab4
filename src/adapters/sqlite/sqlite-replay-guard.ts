import type Database from 'better-sqlite3';
import type { ReplayGuard } from '../../ports/replay-guard.port.ts';
import { guarded } from './sqlite-store-error.ts';

/** ReplayGuard in SQLite: one atomic insert decides; expired ids are swept with the other tables. */
export class SqliteReplayGuard implements ReplayGuard {
  readonly #insert: Database.Statement<[string, number, number]>;
  readonly #select: Database.Statement<[string, number], unknown>;
  readonly #now: () => number;

  constructor(deps: { db: Database.Database; now?: () => number }) {
    this.#now = deps.now ?? Date.now;
    // An expired row with the same id is replaced: the id may be used again after expiry.
    this.#insert = deps.db.prepare(`INSERT INTO used_token_ids (id, expires_at) VALUES (?, ?)
      ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE used_token_ids.expires_at <= ?`);
    this.#select = deps.db.prepare('SELECT 1 FROM used_token_ids WHERE id = ? AND expires_at > ?');
  }

  async isClaimed(id: string): Promise<boolean> {
    return guarded(() => this.#select.get(id, this.#now())) !== undefined;
  }

  async claim(id: string, expiresAt: number): Promise<boolean> {
    return guarded(() => this.#insert.run(id, expiresAt, this.#now())).changes === 1;
  }
}
