import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import nock from 'nock';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';
import type { ScriptedBrowser } from '../support/scripted-browser.ts';
import type { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import type { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';

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
    onY.copyCookiesFrom(onX);
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

  /** What an instance holds in memory for a signed-in browser: its session, token version, parsed tokens. */
  function heldBy(app: TestApp, browser: ScriptedBrowser, user: typeof alice) {
    const { storedSessionStore: sessionStore, storedTokenStore, tokenStore } = app.container.cradle;
    const sessionId = browser.cookie('app.session')!;
    const accountId = `${user.oid}.${entra.tenantId}`;
    return {
      session: (sessionStore as RedisSessionStore).holds(sessionId),
      tokenVersion: (storedTokenStore as RedisTokenStore).holdsVersion(accountId),
      tokens: tokenStore.holds(accountId),
    };
  }
  const ALL = { session: true, tokenVersion: true, tokens: true };
  const NONE = { session: false, tokenVersion: false, tokens: false };

  function sameBrowserOn(app: TestApp, browser: ScriptedBrowser): ScriptedBrowser {
    const other = app.browser();
    other.copyCookiesFrom(browser);
    return other;
  }

  it('forgets a signed-out user in memory everywhere: at once where the sign-out ran, through invalidation elsewhere', async () => {
    const aliceOnX = x.browser();
    await signInWithBrowser(aliceOnX, entra, alice, { sid: 'sid-alice' });
    const bobOnX = x.browser();
    await signInWithBrowser(bobOnX, entra, bob, { sid: 'sid-bob' });
    const aliceOnY = sameBrowserOn(y, aliceOnX);
    for (const browser of [aliceOnX, aliceOnY, bobOnX]) expect((await browser.get('/profile')).status).to.equal(200);
    expect([heldBy(x, aliceOnX, alice), heldBy(y, aliceOnY, alice)]).to.deep.equal([ALL, ALL]);

    expect((await y.browser().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
    expect(heldBy(y, aliceOnY, alice), 'the instance that handled the sign-out, at once').to.deep.equal(NONE);
    await x.container.cradle.redisInvalidations.settled();
    expect(heldBy(x, aliceOnX, alice), 'the other instance, through invalidation').to.deep.equal(NONE);
    expect(heldBy(x, bobOnX, bob), 'bob is untouched').to.deep.equal(ALL);
    expect((await aliceOnX.get('/profile')).status).to.equal(302);
  });

  it('drops everything it holds when its invalidation connection breaks, and still serves no signed-out session', async () => {
    const aliceOnX = x.browser();
    await signInWithBrowser(aliceOnX, entra, alice, { sid: 'sid-alice' });
    const bobOnX = x.browser();
    await signInWithBrowser(bobOnX, entra, bob, { sid: 'sid-bob' });
    for (const browser of [aliceOnX, bobOnX]) expect((await browser.get('/profile')).status).to.equal(200);
    expect([heldBy(x, aliceOnX, alice), heldBy(x, bobOnX, bob)]).to.deep.equal([ALL, ALL]);

    const { redisInvalidations, storedSessionStore: sessionStore, tokenStore } = x.container.cradle;
    await redis.call('CLIENT', 'KILL', 'ID', String(redisInvalidations.connectionId));
    await until(() => !redisInvalidations.usable());
    expect([(sessionStore as RedisSessionStore).cached, tokenStore.size], 'whole caches dropped').to.deep.equal([0, 0]);

    // Signed out on Y while X may not hear of it: X must not serve alice's session from memory.
    expect((await y.browser().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
    expect((await aliceOnX.get('/profile')).status).to.equal(302);
    expect((await bobOnX.get('/profile')).status).to.equal(200);
    await until(() => redisInvalidations.usable()); // it reconnects by itself
    expect((await bobOnX.get('/profile')).status).to.equal(200);
    expect(heldBy(x, bobOnX, bob), 'and keeps copies again').to.deep.equal(ALL);
  });

  it('keeps no token text in Redis: partitions are encrypted', async () => {
    await signInWithBrowser(x.browser(), entra, alice);
    const raw = (await Promise.all((await redis.keys(`${keyPrefix}*`)).map(async (key) => JSON.stringify(await dump(redis, key))))).join('\n');
    expect(raw).to.contain('v1.'); // a sealed partition is there
    expect(raw).to.not.match(new RegExp(`at\\.${alice.oid}|rt\\.${alice.oid}`));
    const [partitionKey] = await redis.keys(`${keyPrefix}tokens:*`);
    const { version, summary } = await redis.hgetall(partitionKey!);
    expect(summary, 'the summary, sealed and naming the version it was written with').to.match(new RegExp(`^${version} v1\\.`));
  });
});

describe('several instances sharing Redis with TOKEN_MEMORY_CACHE_ENTRIES=0', () => {
  const alice = fakeUser('alice');
  let keyPrefix: string;
  let apps: TestApp[] = [];
  const redis = () => new Redis('redis://127.0.0.1:6379');

  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    const admin = redis();
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
    nock.cleanAll();
  });

  it('keeps nothing in memory, opens no invalidation connection, and a sign-out on one instance holds on the other at once', async () => {
    blockNetwork();
    const entra = new FakeEntra().install();
    fakeGraph([alice]);
    keyPrefix = `test:${randomUUID()}:`;
    const shared = { TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: keyPrefix, TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY, TOKEN_MEMORY_CACHE_ENTRIES: '0' };
    const x = await startTestApp(entra, shared);
    const y = await startTestApp(entra, shared);
    apps = [x, y];

    const onX = x.browser();
    await signInWithBrowser(onX, entra, alice, { sid: 'sid-alice' });
    expect((await onX.get('/profile')).status).to.equal(200);
    const { storedSessionStore, tokenStore } = x.container.cradle;
    expect([(storedSessionStore as RedisSessionStore).cached, tokenStore.size], 'nothing kept').to.deep.equal([0, 0]);
    expect(x.container.cache.has('redisInvalidations'), 'no invalidation connection made').to.equal(false);

    expect((await y.browser().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
    expect((await onX.get('/profile')).status, 'signed out on X too, with nothing to invalidate').to.equal(302);
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
    const db = new Database(join(dir, 'app.db'), { readonly: true });
    try {
      const summaries = db.prepare('SELECT summary FROM token_partitions').pluck().all();
      // Stored as `<version> <summary>` (sqlite-token-store.ts), the summary sealed.
      expect(summaries, 'each partition written with its summary, sealed').to.have.lengthOf(1).and.to.satisfy((all: unknown[]) => all.every((summary) => /^[0-9a-f-]{36} v1\./.test(String(summary))));
    } finally {
      db.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function dump(redis: Redis, key: string): Promise<unknown> {
  const type = await redis.type(key);
  if (type === 'hash') return redis.hgetall(key);
  if (type === 'set') return redis.smembers(key);
  return redis.get(key);
}
