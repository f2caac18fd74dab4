import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SqliteFileIdentity } from '../../src/adapters/sqlite/sqlite-file-identity.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';

describe('SqliteFileIdentity: whether SQLITE_PATH still names the file opened', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-identity-'));
    path = join(dir, 'app.db');
    writeFileSync(path, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const failure = (identity: SqliteFileIdentity) => {
    try {
      identity.assertSameFile();
    } catch (error) {
      expect(error).to.be.instanceOf(StoreUnavailable);
      return (error as Error).message;
    }
    return undefined;
  };

  it('passes while the path names the file opened, written or not', () => {
    const identity = new SqliteFileIdentity(path);
    writeFileSync(path, 'written in place');
    expect(failure(identity)).to.equal(undefined);
    expect(identity.lost).to.equal(undefined);
  });

  it('fails for good once the file is deleted, even after a file is put at the path again', () => {
    const identity = new SqliteFileIdentity(path);
    rmSync(path);
    expect(failure(identity)).to.match(/was deleted while the app ran: restart the app/);
    writeFileSync(path, '');
    expect(failure(identity), 'another file now').to.match(/was deleted/);
    expect(identity.lost).to.be.instanceOf(StoreUnavailable);
  });

  it('fails for good once another file is put at the path (a backup put back)', () => {
    const identity = new SqliteFileIdentity(path);
    renameSync(path, `${path}.old`);
    writeFileSync(path, '');
    expect(failure(identity)).to.match(/was replaced by another file while the app ran/);
  });

  it('fails only the look that cannot be made for another reason, and passes again once it can (the file never moved)', () => {
    const identity = new SqliteFileIdentity(path);
    renameSync(path, `${path}.aside`);
    symlinkSync(path, path); // a path that cannot be looked at (ELOOP), as a permission or NFS error
    expect(failure(identity)).to.match(/cannot be looked at: ELOOP/);
    expect(identity.lost, 'not taken for a lost file').to.equal(undefined);
    rmSync(path);
    renameSync(`${path}.aside`, path);
    expect(failure(identity)).to.equal(undefined);
  });
});
