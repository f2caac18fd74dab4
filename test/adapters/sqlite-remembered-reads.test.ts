import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MessageChannel } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { RememberedRows, SqliteFileChanges } from '../../src/adapters/sqlite/sqlite-file-changes.ts';
import { SqliteSessionStore } from '../../src/adapters/sqlite/sqlite-session-store.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';
import { describeSessionStoreContract } from './session-store.contract.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

const INDEX = { sid: 'sid-A', subject: 'alice-sub', accountId: 'alice' };

describe('SQLite stores remembering reads until the file changes', () => {
  let dir: string;
  let fileCount = 0;
  const open: Database.Database[] = [];
  const freshFile = () => join(dir, `remembered-${++fileCount}.db`);
  const connect = (file: string) => {
    const db = openSqliteDatabase(file);
    open.push(db);
    return db;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-remembered-'));
  });

  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  describeTokenStoreContract('sqlite, remembering versions', (clock) => {
    const db = connect(freshFile());
    return new SqliteTokenStore({ db, tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now: clock.now, fileChanges: new SqliteFileChanges(db) });
  });

  describeSessionStoreContract('sqlite, remembering sessions', (clock) => {
    const db = connect(freshFile());
    return new SqliteSessionStore({ db, now: clock.now, fileChanges: new SqliteFileChanges(db) });
  });

  /** The app's store on one connection, and a second connection to the same file (another process). */
  function twoConnections() {
    const file = freshFile();
    const db = connect(file);
    const other = connect(file);
    const fileChanges = new SqliteFileChanges(db);
    return {
      db,
      other,
      sessions: new SqliteSessionStore({ db, fileChanges }),
      tokens: new SqliteTokenStore({ db, fileChanges }),
    };
  }

  it('serves a session it read from memory, and drops it once another process deletes the row', async () => {
    const { db, other, sessions } = twoConnections();
    await sessions.set('s1', { user: 'alice' }, INDEX, 60_000);
    expect(await sessions.get('s1')).to.deep.equal({ user: 'alice' });

    // Deleted behind the store's back on its own connection: SQLite does not report that, so the
    // remembered copy still serves. This is how the test sees that the copy is used at all.
    db.prepare('DELETE FROM sessions WHERE id = ?').run('s1');
    await nextTurn();
    expect(await sessions.get('s1')).to.deep.equal({ user: 'alice' });

    other.prepare('INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?)').run('unrelated', '{}', Date.now() + 60_000);
    await nextTurn();
    expect(await sessions.get('s1')).to.equal(undefined);
  });

  it('sees a session another process deleted at the next event-loop turn', async () => {
    const { other, sessions } = twoConnections();
    await sessions.set('s1', { user: 'alice' }, INDEX, 60_000);
    expect(await sessions.get('s1')).to.deep.equal({ user: 'alice' });

    other.prepare('DELETE FROM sessions WHERE id = ?').run('s1');
    await nextTurn();
    expect(await sessions.get('s1')).to.equal(undefined);
  });

  it("serves no request with a look a timer took earlier in the same event-loop turn: another process's sign-out may have come in between", async () => {
    const { other, sessions } = twoConnections();
    await sessions.set('s1', { user: 'alice' }, INDEX, 60_000);
    expect(await sessions.get('s1')).to.deep.equal({ user: 'alice' });
    // The user's next request, read in the poll phase of the turn whose timers phase saw the rest:
    // a message from another thread arrives as I/O does (a socket's would be intercepted by nock,
    // which other test files load).
    const { port1, port2 } = new MessageChannel();
    try {
      const served = new Promise((resolve) => port2.once('message', () => resolve(sessions.get('s1'))));
      setTimeout(() => {
        void sessions.get('s1'); // a timer's look: the once-a-second one, a refresh's wait
        other.prepare('DELETE FROM sessions WHERE id = ?').run('s1'); // the sign-out, committed after it
        port1.postMessage('GET /profile'); // the request, come in after the sign-out
      }, 1);
      expect(await served, 'the session the sign-out ended').to.equal(undefined);
    } finally {
      port1.close();
    }
  });

  it('sees a partition version another process wrote at the next event-loop turn', async () => {
    const { other, tokens } = twoConnections();
    await tokens.write('alice', 'tokens');
    const before = await tokens.version('alice');
    expect(before).to.be.a('string');

    other.prepare('UPDATE token_partitions SET version = ? WHERE account_id = ?').run('written-elsewhere', 'alice');
    await nextTurn();
    expect(await tokens.version('alice')).to.equal('written-elsewhere');

    other.prepare('DELETE FROM token_partitions WHERE account_id = ?').run('alice');
    await nextTurn();
    expect(await tokens.version('alice')).to.equal(undefined);
  });

  it('sees its own writes at once, in the same turn', async () => {
    const { sessions, tokens } = twoConnections();
    await sessions.set('s1', { n: 1 }, INDEX, 60_000);
    expect(await sessions.get('s1')).to.deep.equal({ n: 1 });
    expect(await sessions.update('s1', { n: 2 }, INDEX, 60_000)).to.equal(true);
    expect(await sessions.get('s1')).to.deep.equal({ n: 2 });
    await sessions.destroy('s1');
    expect(await sessions.get('s1')).to.equal(undefined);

    await tokens.write('alice', 'first');
    const first = await tokens.version('alice');
    expect(await tokens.write('alice', 'second', first)).to.equal(true);
    const second = await tokens.version('alice');
    expect(second).to.be.a('string').and.not.equal(first);
    expect((await tokens.read('alice'))?.version).to.equal(second);
    await tokens.remove('alice');
    expect(await tokens.version('alice')).to.equal(undefined);
  });

  it('hands every caller its own copy of a remembered session', async () => {
    const { sessions } = twoConnections();
    await sessions.set('s1', { account: { name: 'Alice' } }, INDEX, 60_000);
    const first = (await sessions.get('s1')) as { account: { name: string } };
    first.account.name = 'changed by a caller';
    expect(await sessions.get('s1')).to.deep.equal({ account: { name: 'Alice' } });
  });

  it('does not serve a remembered session or version past its expiry', async () => {
    const file = freshFile();
    const db = connect(file);
    const fileChanges = new SqliteFileChanges(db);
    let time = Date.now();
    const now = () => time;
    const sessions = new SqliteSessionStore({ db, now, fileChanges });
    const tokens = new SqliteTokenStore({ db, now, fileChanges, tokenTtlSeconds: 60 });
    await sessions.set('s1', { n: 1 }, INDEX, 1_000);
    await tokens.write('alice', 'tokens');
    expect(await sessions.get('s1')).to.deep.equal({ n: 1 });
    expect(await tokens.version('alice')).to.be.a('string');

    time += 1_000;
    expect(await sessions.get('s1')).to.equal(undefined);
    time += 60_000;
    expect(await tokens.version('alice')).to.equal(undefined);
  });

  describe('RememberedRows', () => {
    it('holds at most its bound, forgetting the oldest read first', () => {
      const rows = new RememberedRows<string>({ fileChanges: new SqliteFileChanges(connect(':memory:')), maxEntries: 2 });
      rows.set('a', 'A', Infinity, 0);
      rows.set('b', 'B', Infinity, 0);
      rows.set('c', 'C', Infinity, 0);
      expect(rows.size).to.equal(2);
      expect(rows.get('a', 0, 0)).to.equal(undefined);
      expect(rows.get('c', 0, 0)).to.equal('C');
    });

    it('drops a row read under an earlier generation', () => {
      const rows = new RememberedRows<string>({ fileChanges: new SqliteFileChanges(connect(':memory:')), maxEntries: 2 });
      rows.set('a', 'A', Infinity, 0);
      expect(rows.get('a', 1, 0)).to.equal(undefined);
      expect(rows.size).to.equal(0);
    });
  });
});
