import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteReplayGuard } from '../../src/adapters/sqlite/sqlite-replay-guard.ts';
import { SqliteSessionStore } from '../../src/adapters/sqlite/sqlite-session-store.ts';
import { guarded, isSqliteUnavailable } from '../../src/adapters/sqlite/sqlite-store-error.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';

async function failureOf(operation: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await operation();
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('expected the operation to fail');
}

describe('SQLite stores when the database cannot serve', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let otherProcess: Database.Database;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-failures-'));
  });

  beforeEach(async () => {
    file = join(dir, `app-${Date.now()}-${Math.random()}.db`);
    db = openSqliteDatabase(file);
    await new SqliteTokenStore({ db }).write('alice', 'tokens');
    // Another connection to the same file (an operator's tool, another process) takes the write lock.
    otherProcess = new Database(file);
    otherProcess.exec('BEGIN IMMEDIATE');
  });

  afterEach(() => {
    if (otherProcess.inTransaction) otherProcess.exec('ROLLBACK');
    otherProcess.close();
    db.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails every kind of write with StoreUnavailable after a short busy wait, SQLITE_BUSY kept as cause', async () => {
    const tokens = new SqliteTokenStore({ db });
    const sessions = new SqliteSessionStore({ db });
    const replay = new SqliteReplayGuard({ db });
    const writes: Array<() => Promise<unknown>> = [
      () => tokens.write('alice', 'refreshed'),
      () => tokens.remove('alice'),
      () => sessions.set('s1', {}, { sid: 'sid-A' }, 60_000),
      () => sessions.update('s1', {}, { sid: 'sid-A' }, 60_000),
      () => sessions.destroy('s1'),
      () => replay.claim('jti-1', Date.now() + 60_000),
    ];

    for (const write of writes) {
      const { error, elapsedMs } = await failureOf(write);
      expect(error).to.be.instanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).cause).to.have.property('code', 'SQLITE_BUSY');
      expect(elapsedMs, 'the event loop is frozen while SQLite waits: keep it short').to.be.below(1000);
    }
  });

  it('still answers reads while another connection (another process, say) holds the write lock, and writes again once it is released', async () => {
    const tokens = new SqliteTokenStore({ db });
    expect((await tokens.read('alice'))?.data).to.equal('tokens');

    otherProcess.exec('COMMIT');
    expect(await tokens.write('alice', 'refreshed')).to.equal(true);
    expect((await tokens.read('alice'))?.data).to.equal('refreshed');
  });

  it('fails a write to a database it may only read with StoreUnavailable', async () => {
    otherProcess.exec('ROLLBACK');
    const readOnly = new Database(file, { readonly: true });
    try {
      const { error } = await failureOf(() => new SqliteTokenStore({ db: readOnly }).write('alice', 'refreshed'));
      expect(error).to.be.instanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).cause).to.have.property('code', 'SQLITE_READONLY');
    } finally {
      readOnly.close();
    }
  });

  it('counts the extended codes of I/O, disk, lock and damage failures as unavailable, and not those of bugs', () => {
    for (const code of ['SQLITE_BUSY_SNAPSHOT', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CORRUPT', 'SQLITE_NOTADB']) {
      expect(isSqliteUnavailable(Object.assign(new Error(code), { code })), code).to.equal(true);
    }
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_MISUSE', 'SQLITE_RANGE', 'SQLITE_TOOBIG', undefined]) {
      expect(isSqliteUnavailable(Object.assign(new Error(String(code)), { code })), String(code)).to.equal(false);
    }
  });

  it('fails with StoreUnavailable once its database is closed, as a closed Redis connection does', async () => {
    const closed = openSqliteDatabase(join(dir, `closed-${Date.now()}.db`));
    const tokens = new SqliteTokenStore({ db: closed });
    const sessions = new SqliteSessionStore({ db: closed });
    closed.close();
    for (const operation of [() => tokens.read('alice'), () => tokens.write('alice', 'tokens'), () => sessions.findBySid('sid-1')]) {
      const { error } = await failureOf(operation);
      expect(error).to.be.instanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).cause).to.be.instanceOf(TypeError);
    }
  });

  it("rethrows the caller's own mistakes untouched: they are bugs, not an outage", () => {
    otherProcess.exec('ROLLBACK');
    const duplicate = () => db.prepare("INSERT INTO token_partitions (account_id, data, version, expires_at) VALUES ('alice', 'x', 'v', 0)").run();
    const syntax = () => db.prepare('SELEC 1').get();

    expect(() => guarded(duplicate)).to.throw(Database.SqliteError).with.property('code', 'SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(() => guarded(syntax)).to.throw(Database.SqliteError).with.property('code', 'SQLITE_ERROR');
  });
});
