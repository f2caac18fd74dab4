import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const START = fileURLToPath(new URL('../../src/start.ts', import.meta.url));
const SERVER = fileURLToPath(new URL('../../src/app/server.ts', import.meta.url));
const SIGNOUT = fileURLToPath(new URL('../../src/signout.ts', import.meta.url));

describe('npm start without AUTHORITY', () => {
  it('refuses to start the offline dev stack with NODE_ENV=production, naming AUTHORITY', () => {
    // An empty working directory: no .env to load, no data/ written.
    const cwd = mkdtempSync(join(tmpdir(), 'start-mode-'));
    const { PATH, HOME } = process.env;
    // Plain `node src/start.ts` (type stripping), as in production.
    const run = spawnSync(process.execPath, [START], {
      cwd,
      env: { PATH, HOME, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    rmSync(cwd, { recursive: true, force: true });
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.contain('Cannot start: AUTHORITY is not set');
    expect(run.stderr).to.contain('never runs in production');
    expect(run.stdout).to.not.contain('Offline dev stack is running');
  });
});

describe('a NODE_ENV other than development, test or production (a typo for production)', () => {
  // PORT 0: were it taken for development, the app would listen on a port of its own, not on 3000.
  const PROVIDER = { AUTHORITY: 'https://127.0.0.1:9/tenant-id', CLIENT_ID: 'client-id', CLIENT_SECRET: 'client-secret', PORT: '0' };
  const refusal = (value: string) => `NODE_ENV must be production, development or test (any case), or unset, not "${value}"`;

  /** `node <script> <args>` in an empty working directory (no .env to load), and what it left there. */
  function run(script: string, env: Record<string, string>, args: readonly string[] = []) {
    const cwd = mkdtempSync(join(tmpdir(), 'node-env-'));
    const { PATH, HOME } = process.env;
    try {
      const result = spawnSync(process.execPath, [script, ...args], { cwd, env: { PATH, HOME, ...env }, encoding: 'utf8', timeout: 20_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr, left: readdirSync(cwd) };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  it('stops npm start, naming NODE_ENV and its values, before generating keys or starting the offline dev stack', () => {
    const withProvider = run(START, { ...PROVIDER, NODE_ENV: 'prod' });
    expect(withProvider.status, withProvider.stderr).to.equal(1);
    expect(withProvider.stderr).to.contain(`Cannot start: ${refusal('prod')}`);
    expect(withProvider.left, 'no development keys generated (data/)').to.deep.equal([]);
    const offline = run(START, { NODE_ENV: ' Prodution ' });
    expect(offline.status, offline.stderr).to.equal(1);
    expect(offline.stderr).to.contain(`Cannot start: ${refusal(' Prodution ')}`);
    expect(offline.stdout).to.not.contain('Offline dev stack is running');
    const server = run(SERVER, { ...PROVIDER, NODE_ENV: 'staging', SESSION_KEYS: 'k'.repeat(32) });
    expect(server.status, server.stderr).to.equal(1);
    expect(server.stderr).to.contain(`Cannot start: ${refusal('staging')}`);
  });

  it('stops npm run signout, naming NODE_ENV, with AUTHORITY set or against the offline dev stack', () => {
    for (const env of [{ ...PROVIDER, NODE_ENV: 'prod' }, { NODE_ENV: 'prod' }]) {
      const signout = run(SIGNOUT, env, ['--subject', 'someone']);
      expect(signout.status, signout.stderr).to.equal(1);
      expect(signout.stderr, JSON.stringify(env)).to.contain(`Cannot run: ${refusal('prod')}`);
    }
  });
});

describe('.env at the entry points', () => {
  /** `node <script> <args>` in a working directory holding `.env` as `makeEnv` leaves it. */
  function runWith(makeEnv: (cwd: string) => void, script: string, args: readonly string[] = [], env: Record<string, string> = {}) {
    const cwd = mkdtempSync(join(tmpdir(), 'dot-env-'));
    const { PATH, HOME } = process.env;
    try {
      makeEnv(cwd);
      return spawnSync(process.execPath, [script, ...args], { cwd, env: { PATH, HOME, ...env }, encoding: 'utf8', timeout: 20_000 });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  it('stops npm start and npm run signout when .env sets NODE_EXTRA_CA_CERTS, which Node reads only from the environment it starts with', () => {
    const withCa = (cwd: string) => writeFileSync(join(cwd, '.env'), 'AUTHORITY=https://127.0.0.1:9/tenant-id\nNODE_EXTRA_CA_CERTS=/etc/ssl/private-ca.pem\n');
    // The environment without one, and with the machine's own bundle (which .env's would not replace).
    for (const env of [{}, { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' }] as Record<string, string>[]) {
      for (const [script, refusal] of [[START, 'Cannot start'], [SIGNOUT, 'Cannot run']] as const) {
        const run = runWith(withCa, script, script === SIGNOUT ? ['--subject', 'someone'] : [], env);
        expect(run.status, run.stderr).to.equal(1);
        expect(run.stderr, JSON.stringify(env)).to.contain(`${refusal}: NODE_EXTRA_CA_CERTS is set in .env, but Node reads it only from the environment it starts with`);
      }
    }
  });

  it('stops at NODE_OPTIONS in .env too: Node reads it only as it starts', () => {
    const run = runWith((cwd) => writeFileSync(join(cwd, '.env'), 'NODE_OPTIONS=--max-old-space-size=4096\n'), START);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.contain('Cannot start: NODE_OPTIONS is set in .env, but Node reads it only from the environment it starts with');
  });

  it("reads a .env saved with a byte order mark: its first line is not lost (NODE_ENV=production there must not start a development app)", () => {
    const production = (cwd: string) => writeFileSync(join(cwd, '.env'), '\uFEFFNODE_ENV=production\nAUTHORITY=https://127.0.0.1:9/tenant-id\nCLIENT_ID=app\nCLIENT_SECRET=secret\nPORT=0\n');
    const run = runWith(production, START);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.match(/^Cannot start: SESSION_KEYS is required/);
  });

  it('stops on a .env line that is no NAME=value, naming the line and not showing it; a quoted value over several lines is read', () => {
    const typo = (cwd: string) => writeFileSync(join(cwd, '.env'), '# settings\nGREETING="one\ntwo"\nexport AUTHORITY=https://127.0.0.1:9/tenant-id\nNODE_ENV: production-secret\n');
    const run = runWith(typo, START);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.equal('Cannot start: .env line 5 is not NAME=value (or a # comment), so it would be ignored\n');
  });

  it('stops on a value with a # in it that is not quoted (Node ends the value there), and on a .env saved as UTF-16, without showing a value', () => {
    const hash = runWith((cwd) => writeFileSync(join(cwd, '.env'), 'A=1 # a note\nQUOTED="p#ss"\nCLIENT_CAPABILITIES= # none\nCLIENT_SECRET=p#ss-secret\n'), START);
    expect(hash.status, hash.stderr).to.equal(1);
    expect(hash.stderr).to.equal(`Cannot start: .env line 4 has a # inside a value that is not quoted, where Node's parser ends the value: quote the value ("..." or '...')\n`);
    const utf16 = runWith((cwd) => writeFileSync(join(cwd, '.env'), Buffer.from('\uFEFFNODE_ENV=production\r\nAUTHORITY=https://login.example', 'utf16le')), START);
    expect(utf16.status, utf16.stderr).to.equal(1);
    expect(utf16.stderr).to.equal('Cannot start: .env is not UTF-8 text (UTF-16, another encoding, or it holds NUL bytes): save it as UTF-8\n');
    const latin1 = runWith((cwd) => writeFileSync(join(cwd, '.env'), Buffer.from('APP_NAME=Caf\u00e9\n', 'latin1')), START);
    expect(latin1.stderr).to.match(/^Cannot start: \.env is not UTF-8 text/);
  });

  it('answers npm run signout -- --help before reading .env, and stops, without a stack trace, on a .env it cannot read', () => {
    const unreadable = (cwd: string) => mkdirSync(join(cwd, '.env'));
    const help = runWith(unreadable, SIGNOUT, ['--help']);
    expect(help.status, help.stderr).to.equal(0);
    const start = runWith(unreadable, START);
    expect(start.status, start.stderr).to.equal(1);
    expect(start.stderr).to.match(/^Cannot start: \.env cannot be read: /);
    expect(start.stderr).to.not.match(/\n\s+at /);
  });
});
