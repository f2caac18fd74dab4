import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { devKeyFiles, loadOrCreateDevKeys, readDevKeys } from '../../src/dev/dev-keys.ts';

const START = fileURLToPath(new URL('../../src/start.ts', import.meta.url));

/** `npm start` against a real provider outside production, without SESSION_KEYS or TOKEN_ENCRYPTION_KEYS: keys generated into data/. */
describe("a developer's generated keys (npm start with AUTHORITY, outside production)", () => {
  let cwd: string;
  beforeEach(() => (cwd = mkdtempSync(join(tmpdir(), 'dev-keys-'))));
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  /** `node src/start.ts` in `cwd`, against a provider on a closed loopback port; stopped after `ms` if it keeps running. */
  const start = (env: Record<string, string>, ms = 4_000) => {
    const { PATH, HOME } = process.env;
    return spawnSync(process.execPath, [START], {
      cwd,
      env: { PATH, HOME, AUTHORITY: 'https://localhost:9/idp', CLIENT_ID: 'client', CLIENT_SECRET: 'secret', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: ms,
    });
  };

  it('are made once, 32 random bytes each, and read back', () => {
    const file = join(cwd, 'data', 'dev-session-keys.json');
    const keys = loadOrCreateDevKeys(file);
    expect(keys).to.have.length(1);
    expect(Buffer.from(keys[0]!, 'base64url')).to.have.length(32);
    expect(loadOrCreateDevKeys(file)).to.deep.equal(keys);
    expect(readDevKeys(file)).to.deep.equal(keys);
  });

  it('are never replaced, nor a stack trace shown, when the file holds something else: the start stops naming the file and the variable', () => {
    mkdirSync(join(cwd, 'data'), { mode: 0o700 });
    const file = join(cwd, 'data', 'dev-session-keys.json');
    for (const content of ['{bad', '[]', '["short"]', '{"keys":[]}']) {
      writeFileSync(file, content, { mode: 0o600 });
      expect(() => readDevKeys(file), content).to.throw(/generated key file .*dev-session-keys\.json/);
      const run = start({}, 20_000);
      expect(run.status, run.stderr).to.equal(1);
      expect(run.stderr, content).to.match(/^Cannot start: SESSION_KEYS is not set, and the generated key file \S*dev-session-keys\.json (cannot be read|does not hold keys)/);
      expect(run.stderr).to.not.match(/\n\s+at /);
      expect(readFileSync(file, 'utf8'), 'left as it was').to.equal(content);
    }
  });

  it('go to data/ with SQLITE_PATH=:memory:, never into the working directory', () => {
    expect(devKeyFiles({ SQLITE_PATH: ':memory:' }).sessionKeys).to.equal(join('data', 'dev-session-keys.json'));
    expect(devKeyFiles({ SQLITE_PATH: '/var/lib/app/app.db' }).tokenEncryptionKeys).to.equal('/var/lib/app/dev-token-encryption-keys.json');
    const run = start({ SQLITE_PATH: ':memory:' });
    for (const [variable, file] of [['SESSION_KEYS', 'dev-session-keys.json'], ['TOKEN_ENCRYPTION_KEYS', 'dev-token-encryption-keys.json']] as const) {
      expect(run.stderr, 'said at start, so a deploy that forgot NODE_ENV=production shows it').to.contain(
        `${variable} is not set: using the development key in ${join('data', file)} (NODE_ENV is not production; set ${variable} for any deploy)`,
      );
    }
    expect(existsSync(join(cwd, 'dev-session-keys.json'))).to.equal(false);
    expect(existsSync(join(cwd, 'data', 'dev-session-keys.json'))).to.equal(true);
    expect(existsSync(join(cwd, 'data', 'dev-token-encryption-keys.json'))).to.equal(true);
  });
});
