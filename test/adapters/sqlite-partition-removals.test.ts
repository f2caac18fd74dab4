import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { startExpirySweeper, sweepExpired } from '../../src/adapters/sqlite/sqlite-expiry-sweeper.ts';
import { RememberedRows, SqliteFileChanges } from '../../src/adapters/sqlite/sqlite-file-changes.ts';
import { KEPT_REMOVALS, SqlitePartitionRemovals } from '../../src/adapters/sqlite/sqlite-partition-removals.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';

/** What a listener heard, in order: an account id per removal, `lost` for "forget everything". */
function hearing(removals: SqlitePartitionRemovals): string[] {
  const heard: string[] = [];
  removals.subscribe({ changed: (accountId) => heard.push(accountId), lost: () => heard.push('lost') });
  return heard;
}

describe('SQLite: removed partitions, heard by every process on the file', () => {
  let dir: string;
  let fileCount = 0;
  const open: Database.Database[] = [];
  const stoppers: Array<() => void> = [];
  const connect = (file: string) => {
    const db = openSqliteDatabase(file);
    open.push(db);
    return db;
  };

  /** This process's connection with its removals, and another process's connection to the same file. */
  function twoProcesses(options: { lookEveryMs?: number } = {}) {
    const file = join(dir, `removals-${++fileCount}.db`);
    const db = connect(file);
    const other = connect(file);
    const fileChanges = new SqliteFileChanges(db, options);
    stoppers.push(() => fileChanges.stop());
    return { db, other, fileChanges, tokens: new SqliteTokenStore({ db }), otherTokens: new SqliteTokenStore({ db: other }), removals: new SqlitePartitionRemovals({ db, fileChanges }) };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-removals-'));
  });
  afterEach(() => {
    for (const stop of stoppers.splice(0)) stop();
    for (const db of open.splice(0)) db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hears of a partition another process removed the next time it looks at the file', async () => {
    const { fileChanges, tokens, otherTokens, removals } = twoProcesses();
    const heard = hearing(removals);
    await tokens.write('alice', 'tokens');
    await tokens.write('bob', 'tokens');

    await otherTokens.remove('alice');
    expect(heard, 'nothing until the file is looked at').to.deep.equal([]);
    fileChanges.generation();

    expect(heard).to.deep.equal(['alice']);
  });

  it('hears of it on an idle instance too, from the timer', async () => {
    const { tokens, otherTokens, removals } = twoProcesses({ lookEveryMs: 10 });
    const heard = hearing(removals);
    await tokens.write('alice', 'tokens');

    await otherTokens.remove('alice');
    for (let waited = 0; heard.length === 0 && waited < 2000; waited += 10) await sleep(10);

    expect(heard).to.deep.equal(['alice']);
  });

  it("hears of the partitions this process's own sweep deleted when it reads the log", async () => {
    const { db, tokens, removals } = twoProcesses();
    const heard = hearing(removals);
    let time = Date.now();
    const expiring = new SqliteTokenStore({ db, tokenTtlSeconds: 60, now: () => time });
    await expiring.write('alice', 'tokens');
    await tokens.write('bob', 'tokens');

    time += 61_000;
    expect(await sweepExpired(db, time)).to.equal(1);
    removals.readLog();

    expect(heard).to.deep.equal(['alice']);
  });

  it('does not report what was removed before it started, nor the same removal twice', async () => {
    const { db, otherTokens, fileChanges } = twoProcesses();
    await otherTokens.write('alice', 'tokens');
    await otherTokens.remove('alice');
    const removals = new SqlitePartitionRemovals({ db, fileChanges });
    const heard = hearing(removals);

    removals.readLog();
    await otherTokens.write('bob', 'tokens');
    await otherTokens.remove('bob');
    removals.readLog();
    removals.readLog();

    expect(heard).to.deep.equal(['bob']);
  });

  it("reads what its own sweep deleted before the sweep trims the log, even past KEPT_REMOVALS", async () => {
    const { db, removals } = twoProcesses();
    const heard = hearing(removals);
    const insert = db.prepare('INSERT INTO token_partitions (account_id, version, expires_at, data) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < KEPT_REMOVALS + 300; i++) insert.run(`user-${i}`, 'v', 1, 'tokens');
    })();

    let reads = 0;
    const sweeper = startExpirySweeper(db, { intervalMs: 3_600_000, afterPartitionBatch: () => void (reads++, removals.readLog()) });
    try {
      await sweeper.sweep();
    } finally {
      sweeper.stop();
    }

    expect(heard).to.have.length(KEPT_REMOVALS + 300);
    expect(heard).to.not.include('lost');
    expect(reads, 'a batch of 500 at a time, never the whole backlog in one read').to.equal(21);
    expect(db.prepare('SELECT count(*) FROM token_partition_removals').pluck().get(), 'trimmed after').to.equal(KEPT_REMOVALS);
  });

  it('never fails the read that looked at the file when the log cannot be read, and forgets everything instead', async () => {
    const { fileChanges, removals } = twoProcesses();
    const heard = hearing(removals);
    // The log gone (a damaged or hand-edited file): reading it fails.
    open[1]!.exec('DROP TRIGGER token_partition_removed; DROP TABLE token_partition_removals');

    expect(() => fileChanges.generation()).to.not.throw();
    expect(heard).to.deep.equal(['lost']);
  });

  it('says everything may be lost when the log was trimmed past what it had read', async () => {
    const { db, otherTokens, removals } = twoProcesses();
    const heard = hearing(removals);
    await otherTokens.write('alice', 'tokens');
    await otherTokens.remove('alice');
    await otherTokens.write('bob', 'tokens');
    await otherTokens.remove('bob');
    db.prepare("DELETE FROM token_partition_removals WHERE account_id = 'alice'").run(); // as the sweep trims

    removals.readLog();

    expect(heard).to.deep.equal(['lost']);
  });

  it('says everything may be lost when the log was trimmed of everything it had not read (a process paused past its keeping)', async () => {
    const { db, otherTokens, removals } = twoProcesses();
    const heard = hearing(removals);
    await otherTokens.write('alice', 'tokens');
    await otherTokens.remove('alice');
    db.prepare('DELETE FROM token_partition_removals').run(); // as the sweeps trim, while this process sleeps

    removals.readLog();
    removals.readLog();

    expect(heard, 'once').to.deep.equal(['lost']);
  });

  it('hears of a removal committed while it reads the log, not a loss: it reads the log in one snapshot', async () => {
    const { db, other, fileChanges } = twoProcesses();
    // Another process logs a removal (as its trigger does) just as this one asks for the log's last sequence number.
    let raceArmed = false;
    const racing = new Proxy(db, {
      get(target, property) {
        if (property !== 'prepare') return Reflect.get(target, property);
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (!sql.includes('sqlite_sequence')) return statement;
          return { pluck: () => ({ get: () => {
            if (raceArmed) {
              raceArmed = false;
              other.prepare('INSERT INTO token_partition_removals (account_id) VALUES (?)').run('alice');
            }
            return statement.pluck().get();
          } }) };
        };
      },
    });
    const removals = new SqlitePartitionRemovals({ db: racing, fileChanges });
    const heard = hearing(removals);
    raceArmed = true;

    removals.readLog();
    removals.readLog();

    expect(heard).to.deep.equal(['alice']);
  });

  it('keeps the last KEPT_REMOVALS removals in the log, the sweep deleting older ones', async () => {
    const { db } = twoProcesses();
    const log = db.prepare('INSERT INTO token_partition_removals (account_id) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < KEPT_REMOVALS + 1200; i++) log.run(`user-${i}`);
    })();

    await sweepExpired(db, Date.now(), { batchSize: 500 });

    expect(db.prepare('SELECT count(*) FROM token_partition_removals').pluck().get()).to.equal(KEPT_REMOVALS);
    expect(db.prepare('SELECT account_id FROM token_partition_removals ORDER BY seq LIMIT 1').pluck().get()).to.equal('user-1200');
  });

  it('keeps a removal in the log for removalsKeptMs only: the sweep that many sweeps later forgets its account id', async () => {
    const { db, tokens } = twoProcesses();
    const logged = () => db.prepare('SELECT account_id FROM token_partition_removals ORDER BY seq').pluck().all();
    // Two sweeps' worth: a removal logged before one sweep is forgotten by the sweep two after it.
    const sweeper = startExpirySweeper(db, { intervalMs: 60_000, removalsKeptMs: 120_000 });
    stoppers.push(() => sweeper.stop());
    await tokens.write('alice', 'tokens');
    await tokens.remove('alice');

    await sweeper.sweep();
    await tokens.write('bob', 'tokens');
    await tokens.remove('bob');
    await sweeper.sweep();
    expect(logged(), 'one sweep on').to.deep.equal(['alice', 'bob']);
    await sweeper.sweep();
    expect(logged(), "two sweeps after alice's removal").to.deep.equal(['bob']);
    await sweeper.sweep();
    expect(logged()).to.deep.equal([]);
  });

  it('logs a removal whoever deletes the row, through the port or not', async () => {
    const { db, tokens, otherTokens, fileChanges, removals } = twoProcesses();
    const heard = hearing(removals);
    await tokens.write('alice', 'tokens');
    await tokens.write('bob', 'tokens');

    // An older release, or an operator with the sqlite3 shell.
    open[1]!.prepare("DELETE FROM token_partitions WHERE account_id = 'bob'").run();
    fileChanges.generation();

    expect(heard).to.deep.equal(['bob']);
    expect(await otherTokens.read('alice')).to.include({ data: 'tokens' });
    expect(db.prepare('SELECT count(*) FROM token_partition_removals').pluck().get()).to.equal(1);
  });

  it('drops every remembered row the moment the file is seen to have changed, not one by one as they are asked for', async () => {
    const { fileChanges, otherTokens } = twoProcesses();
    const rows = new RememberedRows<string>({ fileChanges, maxEntries: 10 });
    rows.set('a', 'A', Infinity, fileChanges.generation());
    rows.set('b', 'B', Infinity, fileChanges.generation());

    await otherTokens.write('carol', 'tokens');
    await nextTurn(); // the file is looked at once per turn
    fileChanges.generation();

    expect(rows.size).to.equal(0);
  });
});
