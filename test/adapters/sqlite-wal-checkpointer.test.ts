import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { startWalCheckpointer, type WalCheckpointer } from '../../src/adapters/sqlite/wal-checkpointer.ts';

/** About 1,200 pages of 4 KB: past SQLite's default of checkpointing once the WAL holds 1,000. */
function writeManyPages(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS filler (blob BLOB)');
  const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4000))');
  db.transaction(() => {
    for (let i = 0; i < 1200; i++) insert.run();
  })();
}

const autocheckpointOf = (db: Database.Database) => db.pragma('wal_autocheckpoint', { simple: true });

describe('WAL checkpoints off the event loop (wal-checkpointer.ts)', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let checkpointer: WalCheckpointer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
    file = join(dir, 'app.db');
    db = openSqliteDatabase(file);
  });

  afterEach(async () => {
    await checkpointer?.stop();
    checkpointer = undefined;
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function checkpoints(intervalMs: number) {
    const reports: { walFrames: number; checkpointedFrames: number }[] = [];
    const failures: Error[] = [];
    let next: (() => void) | undefined;
    checkpointer = startWalCheckpointer(db, {
      intervalMs,
      onCheckpoint: (report) => {
        reports.push(report);
        next?.();
      },
      onFailure: (error) => failures.push(error),
    });
    const nextCheckpoint = () => new Promise<void>((resolve) => (next = resolve));
    return { reports, failures, nextCheckpoint };
  }

  it('leaves a commit past 1,000 WAL pages to the worker, which copies it into the database file', async () => {
    // The control: SQLite's default, where the committing connection checkpoints inside the commit.
    const plain = join(dir, 'plain.db');
    const control = openSqliteDatabase(plain);
    const emptySize = statSync(plain).size;
    writeManyPages(control);
    expect(statSync(plain).size, 'the commit itself grew the database file').to.be.above(emptySize + 1000 * 4096);
    control.close();

    const { reports, failures, nextCheckpoint } = checkpoints(1000);
    const checkpointed = nextCheckpoint();
    const sizeBefore = statSync(file).size;
    writeManyPages(db); // well before the worker's first round, a second from now
    expect(statSync(file).size, 'the commit left the pages in the WAL').to.equal(sizeBefore);
    expect(autocheckpointOf(db)).to.equal(10_000);

    await checkpointed;
    expect(statSync(file).size).to.be.above(sizeBefore + 1000 * 4096);
    expect(reports[0]!.checkpointedFrames).to.be.at.least(1200);
    expect(reports[0]!.checkpointedFrames).to.equal(reports[0]!.walFrames);
    expect(failures).to.deep.equal([]);
    // Every row is there, read through a connection that never saw the WAL's frames.
    db.close();
    const reopened = new Database(file, { readonly: true });
    expect(reopened.prepare('SELECT count(*) FROM filler').pluck().get()).to.equal(1200);
    reopened.close();
  });

  it("does not look like another process's commit to the app's connection (PRAGMA data_version)", async () => {
    const { nextCheckpoint } = checkpoints(20);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const before = db.pragma('data_version', { simple: true });
    const checkpointed = nextCheckpoint();
    db.exec('INSERT INTO t VALUES (2)'); // this connection's own commit: no change of data_version
    await checkpointed;
    expect(db.pragma('data_version', { simple: true })).to.equal(before);
    // The control: a commit from another connection does move it.
    const other = new Database(file);
    other.exec('INSERT INTO t VALUES (3)');
    other.close();
    expect(db.pragma('data_version', { simple: true })).to.not.equal(before);
  });

  it("gives checkpoints back to the app's connection when the worker fails", async () => {
    const failures: Error[] = [];
    let failed!: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    checkpointer = startWalCheckpointer(db, {
      workerUrl: new URL('data:text/javascript,throw new Error("the checkpoint worker broke")'),
      onFailure: (error) => {
        failures.push(error);
        failed();
      },
    });
    await failure;
    expect(failures).to.have.length(1);
    expect(failures[0]!.message).to.include('the checkpoint worker broke');
    expect(autocheckpointOf(db)).to.equal(1000);
    // And the commit past 1,000 pages checkpoints again, as SQLite does by default.
    const sizeBefore = statSync(file).size;
    writeManyPages(db);
    expect(statSync(file).size).to.be.above(sizeBefore + 1000 * 4096);
  });

  it("stops the worker and gives checkpoints back to the app's connection", async () => {
    const { failures } = checkpoints(20);
    await checkpointer!.stop();
    expect(autocheckpointOf(db)).to.equal(1000);
    expect(failures, 'a requested stop is no failure').to.deep.equal([]);
  });

  it('starts no worker for a database without a WAL (:memory:)', async () => {
    const memory = openSqliteDatabase(':memory:');
    const failures: Error[] = [];
    const none = startWalCheckpointer(memory, { onFailure: (error) => failures.push(error) });
    await none.stop();
    expect(failures).to.deep.equal([]);
    memory.close();
  });
});
