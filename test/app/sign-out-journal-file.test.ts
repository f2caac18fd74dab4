import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import { ConfigError, defaultSignOutJournalPath, loadConfig } from '../../src/app/config.ts';
import { createAppContainer, type AppContainer } from '../../src/app/container.ts';
import { runOperatorSignOut } from '../../src/app/operator-sign-out.ts';
import { storesReady } from '../../src/app/store-registrations.ts';
import { devAppEnvironment } from '../../src/dev/dev-app-environment.ts';
import { devStackApps } from '../../src/dev/dev-stack-apps.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { captureLogs } from '../support/captured-logs.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';

const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const MINIMAL = {
  AUTHORITY: 'https://login.microsoftonline.com/tenant-id',
  CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  CLIENT_SECRET: 'client-secret',
  SESSION_KEYS: 'k'.repeat(32),
  TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY,
  TOKEN_STORE: 'redis',
};

/**
 * The sign-out journal is one file per instance (each process rewrites the whole file from its own
 * memory): its default path names the app, and an instance whose file another one holds does not start.
 */
describe('the sign-out journal file of an instance', () => {
  let dir: string;
  const containers: AppContainer[] = [];
  const journals: LocalSignOutJournal[] = [];

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'journal-file-'))));
  afterEach(async () => {
    for (const container of containers.splice(0)) await container.dispose();
    for (const journal of journals.splice(0)) await journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('defaults to a file named after the client id, so two apps in one folder keep their own entries', async () => {
    const a = loadConfig(MINIMAL);
    const b = loadConfig({ ...MINIMAL, CLIENT_ID: '99999999-8888-7777-6666-555555555555' });
    expect(a.signOutJournalPath).to.equal('./data/sign-out-journal-11111111-2222-3333-4444-555555555555.json');
    expect(b.signOutJournalPath).to.not.equal(a.signOutJournalPath);

    // Both held at once (the two apps run side by side), and each file has only its own app's entries.
    const inA = new LocalSignOutJournal({ file: join(dir, a.signOutJournalPath) });
    const inB = new LocalSignOutJournal({ file: join(dir, b.signOutJournalPath) });
    journals.push(inA, inB);
    await inA.append({ channel: 'front-channel', sid: 'sid-a', at: 1 });
    await inB.append({ channel: 'front-channel', sid: 'sid-b', at: 2 });
    await inA.close();
    await inB.close();
    const restartedA = new LocalSignOutJournal({ file: join(dir, a.signOutJournalPath) });
    const restartedB = new LocalSignOutJournal({ file: join(dir, b.signOutJournalPath) });
    journals.push(restartedA, restartedB);
    expect(restartedA.pending().map((entry) => entry.sid)).to.deep.equal(['sid-a']);
    expect(restartedB.pending().map((entry) => entry.sid)).to.deep.equal(['sid-b']);
  });

  it("gives the dev stack's app A and app B their own files", () => {
    const paths = devStackApps('data', [3000, 3001]).map(
      (app) =>
        loadConfig(
          devAppEnvironment({
            ...app,
            clientSecret: 'secret',
            authority: 'https://localhost:5443/tenant-id/v2.0',
            caCertPath: 'data/dev-idp/tls-cert.pem',
            apiUrl: 'http://localhost:5080/v1.0/me',
            apiScopes: 'api://demo-api/Profile.Read',
            sessionKeys: ['k'.repeat(32)],
            tokenEncryptionKeys: [ENCRYPTION_KEY],
            logLevel: 'info',
            extra: { TOKEN_STORE: 'redis' },
          }),
        ).signOutJournalPath,
    );
    expect(paths).to.deep.equal(['./data/sign-out-journal-dev-app-a.json', './data/sign-out-journal-dev-app-b.json']);
  });

  it('keeps only file-name characters of the client id, and still tells two ids apart', () => {
    const odd = defaultSignOutJournalPath('../../etc/passwd');
    expect(basename(odd)).to.match(/^sign-out-journal-[A-Za-z0-9._-]+\.json$/);
    expect(odd.startsWith('./data/sign-out-journal-')).to.equal(true);
    expect(odd.split('/')).to.have.length(3);
    expect(defaultSignOutJournalPath('a/b')).to.not.equal(defaultSignOutJournalPath('a_b'));
    expect(defaultSignOutJournalPath('x'.repeat(500)).length).to.be.below(120);
  });

  it('takes in the former default file only when SIGN_OUT_JOURNAL_PATH is not set', () => {
    expect(loadConfig(MINIMAL).formerSignOutJournalPath).to.equal('./data/sign-out-journal.json');
    expect(loadConfig({ ...MINIMAL, SIGN_OUT_JOURNAL_PATH: '/var/lib/app/journal.json' })).to.include({
      signOutJournalPath: '/var/lib/app/journal.json',
      formerSignOutJournalPath: undefined,
    });
  });

  it('refuses to start a second instance on a file the first holds, naming SIGN_OUT_JOURNAL_PATH; starts once the first has stopped', async () => {
    const config = loadConfig({ ...MINIMAL, SIGN_OUT_JOURNAL_PATH: join(dir, 'journal.json') });
    const first = instance(config);
    await first.cradle.signOutJournal!.append({ channel: 'front-channel', sid: 'sid-a', at: 1 });

    const second = instance(config);
    // What buildApp resolves at start: the journal's replayer, which opens the journal first.
    let refused: unknown;
    try {
      void second.cradle.signOutJournalReplayer;
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(ConfigError);
    expect((refused as Error).message).to.match(/^SIGN_OUT_JOURNAL_PATH ".*journal\.json" is in use by process \d+ .*each instance needs its own journal file/);

    await first.dispose(); // the shutdown of the first instance releases the file
    containers.splice(containers.indexOf(first), 1);
    const third = instance(config);
    expect(third.cradle.signOutJournal!.pending().map((entry) => entry.sid), 'what the first accepted').to.deep.equal(['sid-a']);
  });

  describe('beside a running instance', () => {
    let redis: ChildProcess | undefined;
    let redisUrl: string;
    before(async () => {
      const port = await freePort();
      redis = await startRedisServer(port);
      redisUrl = `redis://127.0.0.1:${port}`;
    });
    after(() => killRedisServer(redis));

    it('the operator command (same settings as the instance) does not open the journal the instance holds', async () => {
      const env = { ...MINIMAL, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `journal-file:${Date.now()}:`, SIGN_OUT_JOURNAL_PATH: join(dir, 'journal.json'), LOG_LEVEL: 'silent' };
      const running = instance(loadConfig(env));
      void running.cradle.signOutJournal;
      await storesReady(running.cradle);
      // Someone signed in: the command then knows it looks where the app writes.
      await running.cradle.sessionStore.set('session-of-alice', { n: 1 }, { sid: 'sid-a', subject: 'alice', accountId: 'alice.tid' }, 60_000);
      const out: string[] = [];
      const err: string[] = [];
      const code = await runOperatorSignOut(['--subject', 'nobody'], env, { out: (text) => out.push(text), err: (text) => err.push(text) });
      expect({ code, err: err.join('') }).to.deep.equal({ code: 0, err: '' });
      expect(out.join('')).to.match(/^No session of subject nobody in this app/);
    });
  });

  function instance(config: ReturnType<typeof loadConfig>): AppContainer {
    const container = createAppContainer(config, captureLogs().logger);
    containers.push(container);
    return container;
  }
});
