import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { MIGRATIONS, openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { startExpirySweeper, sweepExpired } from '../../src/adapters/sqlite/sqlite-expiry-sweeper.ts';
import { SqliteSessionStore } from '../../src/adapters/sqlite/sqlite-session-store.ts';
import { SqliteReplayGuard } from '../../src/adapters/sqlite/sqlite-replay-guard.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';
import { describeSessionStoreContract } from './session-store.contract.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

/** Another process upgrading a file: the last migration inside a write transaction held open for a second. */
const MIGRATE_AND_HOLD = `
import Database from 'better-sqlite3';
const db = new Database(process.env.FILE);
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
db.exec(process.env.MIGRATION);
db.pragma('user_version = ' + process.env.VERSION);
db.prepare("UPDATE token_partitions SET summary = 'written by the other' WHERE account_id = 'alice'").run();
process.stdout.write('migrated, not committed\\n');
const until = Date.now() + 1000;
while (Date.now() < until);
db.exec('COMMIT');
db.close();
`;

describe('SQLite stores', () => {
  let dir: string;
  let fileCount = 0;
  let db: Database.Database | undefined;
  const freshFile = () => join(dir, `store-${++fileCount}.db`);
  /** A new file as schema version `version` made it, holding `partitions` (account id, data, version, expiry). */
  const fileAtSchemaVersion = (version: number, partitions: ReadonlyArray<[string, string, string, number]>): string => {
    const file = freshFile();
    const old = new Database(file);
    for (const migration of MIGRATIONS.slice(0, version)) old.exec(migration);
    old.pragma(`user_version = ${version}`);
    const insert = old.prepare('INSERT INTO token_partitions (account_id, data, version, expires_at) VALUES (?, ?, ?, ?)');
    for (const partition of partitions) insert.run(...partition);
    old.close();
    return file;
  };
  const closeDb = () => {
    db?.close();
    db = undefined;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-stores-'));
  });

  after(() => {
    closeDb();
    rmSync(dir, { recursive: true, force: true });
  });

  describeTokenStoreContract(
    'sqlite',
    (clock) => {
      db = openSqliteDatabase(freshFile());
      return new SqliteTokenStore({ db, tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now: clock.now });
    },
    closeDb,
  );

  describeSessionStoreContract(
    'sqlite',
    (clock) => {
      db = openSqliteDatabase(freshFile());
      return new SqliteSessionStore({ db, now: clock.now });
    },
    closeDb,
  );

  describe('database file', () => {
    afterEach(closeDb);

    it('keeps tokens and sessions across a restart', async () => {
      const file = freshFile();
      db = openSqliteDatabase(file);
      await new SqliteTokenStore({ db }).write('alice', 'tokens');
      const written = await new SqliteTokenStore({ db }).read('alice');
      await new SqliteSessionStore({ db }).set('s1', { n: 1 }, { sid: 'sid-A', accountId: 'alice' }, 60_000);
      closeDb();

      db = openSqliteDatabase(file);
      const sessions = new SqliteSessionStore({ db });
      expect(await new SqliteTokenStore({ db }).read('alice')).to.deep.equal(written);
      expect(await sessions.get('s1')).to.deep.equal({ n: 1 });
      expect(await sessions.findBySid('sid-A')).to.deep.equal([{ id: 's1', accountId: 'alice' }]);
    });

    it('opens an existing file without migrating it again', async () => {
      const file = freshFile();
      db = openSqliteDatabase(file);
      await new SqliteTokenStore({ db }).write('alice', 'tokens');
      closeDb();

      db = openSqliteDatabase(file);
      expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
      expect((await new SqliteTokenStore({ db }).read('alice'))?.data).to.equal('tokens');
    });

    it('upgrades a file of schema version 4 (token partitions WITHOUT ROWID) and keeps its partitions', async () => {
      const file = fileAtSchemaVersion(4, [
        ['alice', 'x'.repeat(12_000), 'v-alice', Date.now() + 60_000],
        ['gone', 'y', 'v-gone', Date.now() - 1],
      ]);

      db = openSqliteDatabase(file);
      expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
      const table = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'token_partitions'").pluck().get() as string;
      expect(table).not.to.match(/WITHOUT ROWID/i);
      const tokens = new SqliteTokenStore({ db });
      expect(await tokens.read('alice')).to.deep.equal({ data: 'x'.repeat(12_000), version: 'v-alice' });
      expect(await tokens.version('alice')).to.equal('v-alice');
      expect(await tokens.write('alice', 'newer', 'v-alice')).to.equal(true);
      expect(await sweepExpired(db, Date.now())).to.equal(1);
      expect(await tokens.read('alice')).to.include({ data: 'newer' });
    });

    it('upgrades a file of schema version 5 (no summaries): its partitions read whole, with no summary until their next write', async () => {
      const file = fileAtSchemaVersion(5, [['alice', 'x'.repeat(12_000), 'v-alice', Date.now() + 60_000]]);

      db = openSqliteDatabase(file);
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('token_partitions');
      expect(columns, 'the summary before the data, so reading it stops short of the data').to.deep.equal(['account_id', 'version', 'expires_at', 'summary', 'data']);
      const tokens = new SqliteTokenStore({ db });
      expect(await tokens.read('alice')).to.deep.equal({ data: 'x'.repeat(12_000), version: 'v-alice' });
      expect(await tokens.readSummary('alice')).to.deep.equal({ summary: undefined, version: 'v-alice' });
      expect(await tokens.write('alice', 'newer', 'v-alice', 'its summary')).to.equal(true);
      expect((await tokens.readSummary('alice'))?.summary).to.equal('its summary');
    });

    it('migrates a file once when another process is migrating it as this one opens it', async () => {
      // The last migration that copies token_partitions into a new table: run twice, the second
      // copy would lose what was written in between.
      const rebuild = MIGRATIONS.map((migration) => migration.includes('token_partitions_rebuilt')).lastIndexOf(true);
      const file = fileAtSchemaVersion(rebuild, [['alice', 'x'.repeat(12_000), 'v-alice', Date.now() + 60_000]]);
      // The other process takes the write lock, migrates, writes, and holds the lock for a second.
      const other = spawn(process.execPath, ['--input-type=module', '-e', MIGRATE_AND_HOLD], {
        env: { ...process.env, FILE: file, MIGRATION: MIGRATIONS[rebuild], VERSION: String(rebuild + 1) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(other, 'exit');
      await once(other.stdout!, 'data');

      db = openSqliteDatabase(file); // waits for the other's commit

      expect((await exited)[0]).to.equal(0);
      expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
      const written = db.prepare("SELECT summary FROM token_partitions WHERE account_id = 'alice'").pluck().get();
      expect(written, 'what the other wrote after migrating: not copied away by a second migration').to.equal('written by the other');
    });

    it('reads no summary left behind by a process of an earlier release that rewrote the data (a rolling upgrade)', async () => {
      db = openSqliteDatabase(freshFile());
      const store = new SqliteTokenStore({ db });
      await store.write('alice', 'tokens', undefined, 'summary of tokens');
      expect((await store.readSummary('alice'))?.summary).to.equal('summary of tokens');

      // What the earlier release's upsert does on a refresh: data and version, no summary column.
      db.prepare("UPDATE token_partitions SET data = 'refreshed tokens', version = 'written-by-an-earlier-release' WHERE account_id = 'alice'").run();

      const fresh = new SqliteTokenStore({ db });
      expect(await fresh.readSummary('alice')).to.deep.equal({ summary: undefined, version: 'written-by-an-earlier-release' });
      expect(await fresh.read('alice')).to.deep.equal({ data: 'refreshed tokens', version: 'written-by-an-earlier-release' });
    });

    it('reads a session whose stored text is no JSON object (a damaged row) as data of no known shape (the session middleware deletes it), not as an error', async () => {
      db = openSqliteDatabase(freshFile());
      const sessions = new SqliteSessionStore({ db });
      for (const [i, text] of ['not json', '[1]', 'null', '"text"'].entries()) {
        await sessions.set(`s${i}`, { n: 1 }, { sid: `sid-${i}` }, 60_000);
        db.prepare('UPDATE sessions SET data = ? WHERE id = ?').run(text, `s${i}`);
        expect(await sessions.get(`s${i}`), text).to.deep.equal({});
        expect(await sessions.get(`s${i}`), `${text}, read again`).to.deep.equal({});
      }
      closeDb();
    });

    it('uses write-ahead logging', () => {
      db = openSqliteDatabase(freshFile());
      expect(db.pragma('journal_mode', { simple: true })).to.equal('wal');
    });

    it('creates missing parent directories', () => {
      const file = join(dir, 'nested', 'deeper', 'app.db');
      db = openSqliteDatabase(file);
      expect(existsSync(file)).to.equal(true);
    });

    it('opens an in-memory database with the schema', async () => {
      db = openSqliteDatabase(':memory:');
      expect(db.pragma('user_version', { simple: true })).to.equal(MIGRATIONS.length);
      expect(await new SqliteTokenStore({ db }).write('alice', 'tokens')).to.equal(true);
    });
  });

  describe('expiry sweeping', () => {
    let time: number;
    const now = () => time;
    const count = (table: string) =>
      (db!.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

    async function seedTwoExpiredAndOneLiveOfEach(): Promise<void> {
      const tokens = new SqliteTokenStore({ db: db!, tokenTtlSeconds: 60, now });
      const sessions = new SqliteSessionStore({ db: db!, now });
      await tokens.write('gone-1', 'x');
      await tokens.write('gone-2', 'x');
      await sessions.set('gone-1', {}, { sid: 'sid-A' }, 60_000);
      await sessions.set('gone-2', {}, {}, 60_000);
      time += 60_000;
      await tokens.write('live', 'y');
      await sessions.set('live', {}, { sid: 'sid-A' }, 60_000);
    }

    beforeEach(() => {
      time = Date.UTC(2030, 0, 1);
      db = openSqliteDatabase(freshFile());
    });

    afterEach(closeDb);

    it('deletes expired rows from both tables in batches and keeps live ones', async () => {
      await seedTwoExpiredAndOneLiveOfEach();

      expect(await sweepExpired(db!, time, { batchSize: 1 })).to.equal(4);
      expect(count('token_partitions')).to.equal(1);
      expect(count('sessions')).to.equal(1);
      expect(await sweepExpired(db!, time)).to.equal(0);
    });

    it('sweeps the ids of used logout tokens once they can no longer be replayed', async () => {
      const guard = new SqliteReplayGuard({ db: db!, now });
      await guard.claim('jti-old', time + 1_000);
      await guard.claim('jti-new', time + 120_000);
      time += 60_000;
      expect(await sweepExpired(db!, time)).to.equal(1);
      expect(count('used_token_ids')).to.equal(1);
      expect(await guard.claim('jti-new', time + 120_000), 'still remembered').to.equal(false);
    });

    it('gives the event loop a turn between batches, so a timer runs while a big backlog is swept', async () => {
      const expired = 10_000;
      const insert = db!.prepare('INSERT INTO token_partitions (account_id, data, version, expires_at) VALUES (?, ?, ?, ?)');
      db!.transaction(() => {
        for (let i = 0; i < expired; i++) insert.run(`gone-${i}`, 'x', 'v', time - 1);
      })();
      let leftWhenTimerRan: number | undefined;
      const timer = new Promise<void>((resolve) =>
        setTimeout(() => {
          leftWhenTimerRan = count('token_partitions');
          resolve();
        }, 0),
      );

      const deleted = await sweepExpired(db!, time);
      await timer;

      expect(deleted).to.equal(expired);
      expect(leftWhenTimerRan, 'the timer ran in the middle of the sweep').to.be.above(0).and.below(expired);
    });

    it('stops after the current batch once its signal is aborted', async () => {
      const insert = db!.prepare('INSERT INTO token_partitions (account_id, data, version, expires_at) VALUES (?, ?, ?, ?)');
      db!.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run(`gone-${i}`, 'x', 'v', time - 1);
      })();
      const stop = new AbortController();

      const sweep = sweepExpired(db!, time, { batchSize: 500, signal: stop.signal });
      stop.abort(); // the first batch has run; the sweep now waits for its next turn

      expect(await sweep).to.equal(500);
      expect(count('token_partitions')).to.equal(1500);
    });

    it('sweeps periodically until stopped', async () => {
      await seedTwoExpiredAndOneLiveOfEach();
      const sweeper = startExpirySweeper(db!, { intervalMs: 5, now });
      try {
        for (let i = 0; i < 100 && count('sessions') > 1; i++) await sleep(5);
        expect(count('token_partitions')).to.equal(1);
        expect(count('sessions')).to.equal(1);
      } finally {
        sweeper.stop();
      }

      time += 60_000;
      await sleep(30);
      expect(count('sessions')).to.equal(1);
    });
  });
});
