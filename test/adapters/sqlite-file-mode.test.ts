import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('SQLite file permissions', () => {
  let dir: string;
  let umaskBefore: number;
  const opened: Database.Database[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-mode-'));
    // The usual umask, under which files are created readable by everyone unless asked otherwise.
    umaskBefore = process.umask(0o022);
  });

  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
    process.umask(umaskBefore);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database file and its -wal and -shm files readable by this user only', async () => {
    const file = join(dir, 'app.db');
    const db = openSqliteDatabase(file);
    opened.push(db);
    await new SqliteTokenStore({ db }).write('alice', 'tokens');

    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      expect(existsSync(path), path).to.equal(true);
      expect(modeOf(path), path).to.equal('600');
    }
  });

  it("leaves the mode of a file that is no database, which opening it refuses: a mistyped SQLITE_PATH is not the app's file", () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'someone else\'s notes\n');
    chmodSync(file, 0o644);

    expect(() => openSqliteDatabase(file)).to.throw(/not a database/);

    expect(modeOf(file)).to.equal('644');
  });

  it('takes group and other access away from files an earlier run left readable', () => {
    const file = join(dir, 'old.db');
    writeFileSync(file, '');
    const earlierRun = new Database(file); // still open: its -wal and -shm stay on disk
    opened.push(earlierRun);
    earlierRun.pragma('journal_mode = WAL');
    earlierRun.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    for (const path of [file, `${file}-wal`, `${file}-shm`]) chmodSync(path, 0o644);

    opened.push(openSqliteDatabase(file));

    for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path), path).to.equal('600');
  });
});
