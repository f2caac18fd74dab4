import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import nock from 'nock';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

describe('several instances sharing Redis', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let keyPrefix: string;
  let x: TestApp;
  let y: TestApp;
  let redis: Redis;

  beforeEach(async () => {
    blockNetwork();
    entra = new FakeEntra().install();
    fakeGraph([alice, bob]);
    keyPrefix = `test:${randomUUID()}:`;
    const shared = { TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: keyPrefix, TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY };
    x = await startTestApp(entra, shared);
    y = await startTestApp(entra, shared);
    redis = new Redis('redis://127.0.0.1:6379');
  });
  afterEach(async () => {
    await Promise.all([x.close(), y.close()]);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    nock.cleanAll();
  });

  it('serves a session started on one instance from another, and a sign-out on either ends it on all', async () => {
    const onX = x.browser();
    await signInWithBrowser(onX, entra, alice, { sid: 'sid-alice' });
    const bobOnX = x.browser();
    await signInWithBrowser(bobOnX, entra, bob, { sid: 'sid-bob' });

    const onY = y.browser(); // the load balancer sends alice's next request to Y, same cookie
    for (const [name, value] of onX.cookies) onY.cookies.set(name, value);
    const profile = await onY.get('/profile');
    expect(profile.status).to.equal(200);
    expect(profile.text).to.contain(alice.username);

    const signOut = await y.browser().get('/auth/signout/frontchannel?sid=sid-alice');
    expect(signOut.status).to.equal(200);

    const onXAgain = await onX.get('/profile');
    expect(onXAgain.status, 'the session is gone on X too').to.equal(302);
    expect(onXAgain.location).to.match(/^\/auth\/signin/);
    const accountId = `${alice.oid}.${entra.tenantId}`;
    expect(await x.container.cradle.tokenStore.read(accountId)).to.equal(undefined);
    expect(await redis.keys(`${keyPrefix}*${alice.oid}*`), 'no key of alice left in Redis').to.deep.equal([]);
    expect((await bobOnX.get('/profile')).status, 'bob is untouched').to.equal(200);
  });

  it('keeps no token text in Redis: partitions are encrypted', async () => {
    await signInWithBrowser(x.browser(), entra, alice);
    const raw = (await Promise.all((await redis.keys(`${keyPrefix}*`)).map(async (key) => JSON.stringify(await dump(redis, key))))).join('\n');
    expect(raw).to.contain('v1.'); // a sealed partition is there
    expect(raw).to.not.match(new RegExp(`at\\.${alice.oid}|rt\\.${alice.oid}`));
  });
});

describe('SQLite keeps no token text when encryption is on', () => {
  const alice = fakeUser('alice');
  let dir: string;

  before(() => (dir = mkdtempSync(join(tmpdir(), 'encrypted-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes only sealed partitions to the database file and its WAL', async () => {
    blockNetwork();
    const entra = new FakeEntra().install();
    fakeGraph([alice]);
    const app = await startTestApp(entra, { TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db'), TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY });
    try {
      const browser = app.browser();
      await signInWithBrowser(browser, entra, alice);
      expect((await browser.get('/profile')).status).to.equal(200);
    } finally {
      await app.close();
      nock.cleanAll();
    }
    const bytes = readdirSync(dir).map((file) => readFileSync(join(dir, file)).toString('latin1')).join('');
    expect(bytes).to.contain('v1.');
    expect(bytes).to.not.match(new RegExp(`at\\.${alice.oid}|rt\\.${alice.oid}`));
  });
});

async function dump(redis: Redis, key: string): Promise<unknown> {
  const type = await redis.type(key);
  if (type === 'hash') return redis.hgetall(key);
  if (type === 'set') return redis.smembers(key);
  return redis.get(key);
}
