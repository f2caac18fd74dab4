import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteSessionStore } from '../../src/adapters/sqlite/sqlite-session-store.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';

/** Whether `text` is anywhere in the database file or its WAL, as bytes on disk. */
function onDisk(file: string, text: string): { database: boolean; wal: boolean } {
  const contains = (path: string) => {
    try {
      return readFileSync(path).includes(text);
    } catch {
      return false; // no such file
    }
  };
  return { database: contains(file), wal: contains(`${file}-wal`) };
}

describe('SQLite: what a sign-out removes leaves no bytes in the file', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-removed-'));
    file = join(dir, 'app.db');
    db = openSqliteDatabase(file);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("zeroes a removed partition's bytes (a plaintext refresh token) in the database and the WAL once checkpointed", async () => {
    const tokens = new SqliteTokenStore({ db });
    const refreshToken = `REFRESH-TOKEN-${'r'.repeat(10_000)}`; // spans overflow pages, as a real partition does
    await tokens.write('alice', refreshToken);
    db.pragma('wal_checkpoint(PASSIVE)'); // in the database file now, as the checkpoint worker does
    expect(onDisk(file, 'REFRESH-TOKEN-')).to.include({ database: true });

    await tokens.remove('alice');
    db.pragma('wal_checkpoint(PASSIVE)');
    await tokens.write('bob', 'later'); // the next write restarts the WAL

    expect(onDisk(file, 'REFRESH-TOKEN-')).to.deep.equal({ database: false, wal: false });
    expect(await tokens.read('bob')).to.include({ data: 'later' });
  });

  it("zeroes a destroyed session's data and index (its sid, subject, username)", async () => {
    const sessions = new SqliteSessionStore({ db });
    const index = { sid: 'SID-OF-ALICE', subject: 'SUBJECT-OF-ALICE', accountId: 'ACCOUNT-OF-ALICE' };
    await sessions.set('session-1', { account: { username: 'USERNAME-OF-ALICE' } }, index, 3_600_000);
    db.pragma('wal_checkpoint(PASSIVE)');

    await sessions.destroy('session-1');
    db.pragma('wal_checkpoint(PASSIVE)');
    await sessions.set('session-2', { account: { username: 'bob' } }, { subject: 'bob' }, 3_600_000);

    for (const text of ['SID-OF-ALICE', 'SUBJECT-OF-ALICE', 'ACCOUNT-OF-ALICE', 'USERNAME-OF-ALICE']) {
      expect(onDisk(file, text), text).to.deep.equal({ database: false, wal: false });
    }
  });
});
