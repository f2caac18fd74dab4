import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { ConfigError } from '../../src/app/config.ts';
import { startServer } from '../../src/app/server.ts';
import { ENTRA_HOST, FakeEntra } from '../support/fake-entra.ts';
import { startAppProcess } from '../support/app-process.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { serverEnv } from '../support/server-env.ts';

describe('server start: the provider must fit AUTHORITY', () => {
  const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const env = serverEnv({ authority: `${ENTRA_HOST}/${tenant}`, clientId: 'client' });
  beforeEach(blockNetwork);
  afterEach(() => nock.cleanAll());

  it("refuses to start when discovery's issuer names another tenant, saying which values differ", async () => {
    const other = '00000000-0000-0000-0000-00000000beef';
    nock(ENTRA_HOST)
      .get(`/${tenant}/v2.0/.well-known/openid-configuration`)
      .reply(200, { ...new FakeEntra({ tenantId: tenant }).discovery(), issuer: `${ENTRA_HOST}/${other}/v2.0` });
    const error = await startServer(env).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.contain(`${ENTRA_HOST}/${other}/v2.0`).and.contain(`${ENTRA_HOST}/${tenant}`);
  });

  it('starts when the provider cannot be reached yet (sign-ins answer 503 until it can)', async () => {
    nock(ENTRA_HOST).get(`/${tenant}/v2.0/.well-known/openid-configuration`).reply(503);
    const running = await startServer(env);
    await running.close();
  });

  it('refuses to start, naming REDIS_URL, when Redis refuses its credentials, wrong or missing: waiting would not end that', async () => {
    nock(ENTRA_HOST).get(`/${tenant}/v2.0/.well-known/openid-configuration`).reply(503);
    const journalDir = mkdtempSync(join(tmpdir(), 'redis-auth-'));
    const port = await freePort();
    const redis = await startRedisServer(port);
    const admin = new Redis(`redis://127.0.0.1:${port}`);
    try {
      await admin.config('SET', 'requirepass', 'right-password');
      for (const [url, refusal] of [
        [`redis://:wrong-password@127.0.0.1:${port}`, /WRONGPASS/],
        [`redis://127.0.0.1:${port}`, /NOAUTH/],
      ] as const) {
        const started = Date.now();
        const error = await startServer({ ...env, TOKEN_STORE: 'redis', REDIS_URL: url, REDIS_KEY_PREFIX: 'auth-test:', SIGN_OUT_JOURNAL_PATH: join(journalDir, 'journal.json') }).catch((e: unknown) => e);
        expect(error, url).to.be.instanceOf(ConfigError);
        expect((error as Error).message, url).to.match(/^REDIS_URL gives credentials this Redis refuses: /).and.match(refusal).and.not.contain('password@');
        expect(Date.now() - started, 'within the connect wait').to.be.below(10_000);
      }
      const running = await startServer({ ...env, TOKEN_STORE: 'redis', REDIS_URL: `redis://:right-password@127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'auth-test:', SIGN_OUT_JOURNAL_PATH: join(journalDir, 'journal.json') });
      await running.close();
    } finally {
      admin.disconnect();
      await killRedisServer(redis);
      rmSync(journalDir, { recursive: true, force: true });
    }
  });

  it('refuses to start, naming REDIS_URL, when Redis does not have the database it names: it would work in database 0', async () => {
    nock(ENTRA_HOST).get(`/${tenant}/v2.0/.well-known/openid-configuration`).reply(503);
    const journalDir = mkdtempSync(join(tmpdir(), 'redis-db-'));
    const prefix = `redis-db-test-${randomUUID()}:`;
    const database0 = new Redis('redis://127.0.0.1:6379');
    try {
      const error = await startServer({
        ...env,
        TOKEN_STORE: 'redis',
        REDIS_URL: 'redis://127.0.0.1:6379/99',
        REDIS_KEY_PREFIX: prefix,
        SIGN_OUT_JOURNAL_PATH: join(journalDir, 'journal.json'),
      }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(/^REDIS_URL names a database this Redis does not have: Redis refuses database 99/);
      expect(await database0.keys(`${prefix}*`), 'nothing written in database 0, where the refused SELECT left the connection').to.deep.equal([]);
    } finally {
      database0.disconnect();
      rmSync(journalDir, { recursive: true, force: true });
    }
  });

  it('warns at start when tokens are stored unencrypted by choice (ALLOW_PLAINTEXT_TOKENS=true)', async () => {
    // As a process: the logger writes to file descriptor 1, which an in-process test cannot read.
    const app = await startAppProcess({
      ...env,
      AUTHORITY: 'https://127.0.0.1:9/00000000-0000-0000-0000-000000000001/v2.0', // nothing listens: it starts anyway
      TOKEN_ENCRYPTION_KEYS: '',
      ALLOW_PLAINTEXT_TOKENS: 'true',
      LOG_LEVEL: 'info',
    });
    try {
      expect(app.logs.map((line) => line.message)).to.include('ALLOW_PLAINTEXT_TOKENS=true: refresh tokens are stored unencrypted; set TOKEN_ENCRYPTION_KEYS');
    } finally {
      app.child.kill('SIGKILL');
      await app.exited;
    }
  });

  it('starts when the issuer fits', async () => {
    new FakeEntra({ tenantId: tenant }).install();
    const running = await startServer(env);
    await running.close();
  });

  describe('a path that cannot be used names its setting, in one line', () => {
    let dir: string;
    let aFile: string;
    beforeEach(() => {
      new FakeEntra({ tenantId: tenant }).install();
      dir = mkdtempSync(join(tmpdir(), 'unusable-path-'));
      aFile = join(dir, 'a-file.txt');
      writeFileSync(aFile, 'not a database\n');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const refusal = async (extra: Record<string, string>) => {
      const error = await startServer({ ...env, ...extra }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      return (error as Error).message;
    };

    it('SQLITE_PATH through a file, or naming a file that is no database', async () => {
      const through = join(aFile, 'app.db');
      expect(await refusal({ TOKEN_STORE: 'sqlite', SQLITE_PATH: through })).to.match(new RegExp(`^SQLITE_PATH "${through}" cannot be used: EEXIST`));
      expect(await refusal({ TOKEN_STORE: 'sqlite', SQLITE_PATH: aFile })).to.equal(`SQLITE_PATH "${aFile}" cannot be used: file is not a database`);
    });

    it("SQLITE_PATH and SIGN_OUT_JOURNAL_PATH where no directory can be made (/proc), at once: Node's recursive mkdir never returns there", async () => {
      expect(await refusal({ TOKEN_STORE: 'sqlite', SQLITE_PATH: '/proc/nope/app.db' })).to.match(/^SQLITE_PATH "\/proc\/nope\/app.db" cannot be used: ENOENT/);
      const journal = await refusal({ TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: `test:${randomUUID()}:`, SIGN_OUT_JOURNAL_PATH: '/proc/nope/journal.json' });
      expect(journal).to.match(/^SIGN_OUT_JOURNAL_PATH "\/proc\/nope\/journal.json" cannot be used: ENOENT/);
    });

    it('SQLITE_PATH naming a database of a newer version of the app', async () => {
      const newer = join(dir, 'newer.db');
      const db = new Database(newer);
      db.pragma('user_version = 999');
      db.close();
      expect(await refusal({ TOKEN_STORE: 'sqlite', SQLITE_PATH: newer })).to.match(/^SQLITE_PATH ".*" cannot be used: SQLite schema version 999 is newer than this app supports/);
    });

    it("SQLITE_PATH naming another app's database (another CLIENT_ID): refused, where the two apps would end each other's sessions", async () => {
      const shared = join(dir, 'shared.db');
      const first = await startServer({ ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: shared, CLIENT_ID: 'app-one' });
      try {
        const again = await startServer({ ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: shared, CLIENT_ID: 'app-one', PORT: '0' });
        await again.close(); // a second instance of the same app may share the file
        expect(await refusal({ TOKEN_STORE: 'sqlite', SQLITE_PATH: shared, CLIENT_ID: 'app-two' })).to.equal(
          `SQLITE_PATH "${shared}" cannot be used: it holds the sessions and tokens of another app (CLIENT_ID "app-one"); give each app a SQLITE_PATH of its own`,
        );
      } finally {
        await first.close();
      }
      const db = new Database(shared);
      expect(db.prepare('SELECT client_id FROM app_client').all()).to.deep.equal([{ client_id: 'app-one' }]);
      db.close();
    });

    it('SQLITE_PATH claimed by this app: a second instance starts while another process holds the write lock', async () => {
      const shared = join(dir, 'busy.db');
      const first = await startServer({ ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: shared });
      const writer = new Database(shared);
      writer.exec('BEGIN IMMEDIATE');
      try {
        const second = await startServer({ ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: shared });
        await second.close();
      } finally {
        writer.exec('ROLLBACK');
        writer.close();
        await first.close();
      }
    });

    it('SIGN_OUT_JOURNAL_PATH through a file, or naming a file that is no journal (left as it is)', async () => {
      const through = join(aFile, 'journal.json');
      const message = await refusal({ TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: `test:${randomUUID()}:`, SIGN_OUT_JOURNAL_PATH: through });
      expect(message).to.match(new RegExp(`^SIGN_OUT_JOURNAL_PATH "${through}" cannot be used: EEXIST`));
      const notJournal = await refusal({ TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: `test:${randomUUID()}:`, SIGN_OUT_JOURNAL_PATH: aFile });
      expect(notJournal).to.equal(`SIGN_OUT_JOURNAL_PATH "${aFile}" cannot be used: the file holds something other than a sign-out journal (a JSON array); it is left as it is`);
      expect(readFileSync(aFile, 'utf8')).to.equal('not a database\n');
    });
  });

  describe('a listener that cannot start names the setting to change, in one line', () => {
    let taken: Server;
    let takenPort: number;
    beforeEach(async () => {
      new FakeEntra({ tenantId: tenant }).install();
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      takenPort = (taken.address() as AddressInfo).port;
    });
    afterEach(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('PORT in use', async () => {
      const error = await startServer({ ...env, HOST: '127.0.0.1', PORT: String(takenPort) }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.equal(`PORT ${takenPort} is in use (127.0.0.1, port ${takenPort}): choose another port or stop what holds it`);
    });

    it('METRICS_PORT in use', async () => {
      const error = await startServer({ ...env, METRICS_HOST: '127.0.0.1', METRICS_PORT: String(takenPort) }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(new RegExp(`^METRICS_PORT ${takenPort} is in use`));
    });

    it('HOST that is no address of this machine', async () => {
      // TEST-NET-1 (RFC 5737): never assigned to a machine.
      const error = await startServer({ ...env, HOST: '192.0.2.1' }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.equal('HOST "192.0.2.1" is not an address of this machine (EADDRNOTAVAIL)');
    });

    it('HOST that is no address of this machine, with the metrics on and METRICS_HOST left to HOST: named HOST, as written', async () => {
      const error = await startServer({ ...env, HOST: '192.0.2.1', METRICS_PORT: '0' }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.equal('HOST "192.0.2.1" is not an address of this machine (EADDRNOTAVAIL)');
      const own = await startServer({ ...env, HOST: '127.0.0.1', METRICS_HOST: '192.0.2.1', METRICS_PORT: '0' }).catch((e: unknown) => e);
      expect((own as Error).message).to.equal('METRICS_HOST "192.0.2.1" is not an address of this machine (EADDRNOTAVAIL)');
    });
  });
});

