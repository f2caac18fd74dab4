import { expect } from 'chai';
import { ConfigError } from '../../src/app/config.ts';
import { unusablePath } from '../../src/app/unusable-path.ts';

const failure = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

describe('unusablePath: which failures of a configured path stop the app naming its setting', () => {
  it("names the setting for SQLite's extended codes of an unusable file (better-sqlite3 reports those)", () => {
    for (const code of ['SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN_ISDIR', 'SQLITE_READONLY', 'SQLITE_NOTADB', 'EACCES']) {
      const error = unusablePath(failure(code), 'SQLITE_PATH', '/srv/app.db');
      expect(error, code).to.be.instanceOf(ConfigError);
      expect((error as Error).message, code).to.equal(`SQLITE_PATH "/srv/app.db" cannot be used: failed with ${code}`);
    }
  });

  it('leaves a lock held for a while, and anything else, as it was', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED_SHAREDCACHE', 'SQLITE_IOERR_WRITE', 'ECONNRESET']) {
      const original = failure(code);
      expect(unusablePath(original, 'SQLITE_PATH', '/srv/app.db'), code).to.equal(original);
    }
  });
});
