import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { asValue } from 'awilix';
import { expect } from 'chai';
import nock from 'nock';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import type { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';

/**
 * A sign-out from the provider that arrives while Redis does not answer is not lost: the instance
 * keeps it in its journal (on disk), answers 200, serves no session it names, and applies it as soon
 * as Redis answers again, also after a restart. Redis is frozen (SIGSTOP: it keeps its data).
 */
describe('sign-outs during a Redis outage are journaled and applied later', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let redis: ChildProcess | undefined;
  let redisUrl: string;
  let entra: FakeEntra;
  const apps: TestApp[] = [];

  before(async () => {
    blockNetwork();
    const port = await freePort();
    redis = await startRedisServer(port);
    redisUrl = `redis://127.0.0.1:${port}`;
    entra = new FakeEntra().install();
    fakeGraph([alice, bob]);
  });
  afterEach(async () => {
    redis?.kill('SIGCONT');
    for (const app of apps.splice(0)) await app.close();
    for (const dir of journalDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await killRedisServer(redis);
    nock.cleanAll();
  });

  async function instance(journalPath: string, overrides = {}, keyPrefix = `test:journal:${randomUUID()}:`, env: Record<string, string> = {}): Promise<TestApp> {
    const app = await startTestApp(
      entra,
      { TOKEN_STORE: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix, SIGN_OUT_JOURNAL_PATH: journalPath, ...env },
      overrides,
    );
    apps.push(app);
    return app;
  }

  function journalOf(app: TestApp) {
    return app.container.cradle.signOutJournal!;
  }

  async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await condition()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting until ${what}`);
  }

  const journalDirs: string[] = [];
  const freshJournal = () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    journalDirs.push(dir);
    return join(dir, 'sign-out-journal.json');
  };

  it('front-channel: answered 200 while Redis is down, the session not served, then tokens and session removed', async () => {
    const app = await instance(freshJournal());
    const aliceBrowser = app.browser();
    const bobBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
    const { tokenStore, sessionStore } = app.container.cradle;

    redis!.kill('SIGSTOP');
    const answer = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');
    expect(answer.status, answer.text).to.equal(200);
    expect(journalOf(app).pending().map((entry) => [entry.channel, entry.sid])).to.deep.equal([['front-channel', 'sid-alice']]);
    const whileDown = await aliceBrowser.get('/profile');
    expect(whileDown.status, 'alice is not served as signed in').to.be.oneOf([302, 503]);
    expect(whileDown.text).to.not.contain(alice.name);

    redis!.kill('SIGCONT');
    await until('the journal is applied', () => journalOf(app).pending().length === 0);
    expect(await tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    expect(await tokenStore.read(`${bob.oid}.${entra.tenantId}`), "bob's tokens").to.not.equal(undefined);
    expect((await bobBrowser.get('/profile')).status).to.equal(200);
    const audit = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
    expect(audit.map(({ channel, outcome, journaled, subject }) => ({ channel, outcome, journaled, subject })), 'accepted, then applied').to.deep.equal([
      { channel: 'front-channel', outcome: 'journaled', journaled: true, subject: undefined },
      { channel: 'front-channel', outcome: 'removed', journaled: true, subject: `sub-${alice.oid}` },
    ]);
  });

  it("front-channel: applied by the next request that comes in, its audit event carrying no request's id", async () => {
    const app = await instance(freshJournal());
    const aliceBrowser = app.browser();
    const bobBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice-next' });
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob-next' });
    app.container.cradle.signOutJournalReplayer.stop(); // only a request applies it, not the timer

    redis!.kill('SIGSTOP');
    expect((await app.browser().get('/auth/signout/frontchannel?sid=sid-alice-next')).status).to.equal(200);
    await sleep(1100); // past the retry interval of the failed attempts
    redis!.kill('SIGCONT');
    const bobPage = await bobBrowser.get('/profile');

    expect(bobPage.status).to.equal(200);
    expect(journalOf(app).pending()).to.have.length(0);
    const lines = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const applied = lines.find((line) => line.event === 'sign-out' && line.outcome === 'removed');
    expect(applied, 'applied').to.not.equal(undefined);
    expect(applied!.requestId, "not bob's page's doing").to.equal(undefined);
    expect(lines.find((line) => line.msg === 'journaled sign-outs applied' || line.message === 'journaled sign-outs applied')?.requestId).to.equal(undefined);
  });

  it('front-channel: journaled, not a 503, when the iframe brings the user\'s cookie and no session can be loaded', async () => {
    const app = await instance(freshJournal());
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice-cookie' });

    redis!.kill('SIGSTOP');
    await sleep(1500); // past the heartbeat: the in-memory copy of the session is dropped
    // A provider on the same site as the app: its iframe sends the SameSite=Lax session cookie.
    const answer = await aliceBrowser.get('/auth/signout/frontchannel?sid=sid-alice-cookie');
    redis!.kill('SIGCONT');

    expect(answer.status, answer.text).to.equal(200);
    expect(answer.headers.get('content-security-policy')).to.contain(`frame-ancestors ${new URL(entra.authority).origin}`);
    expect(answer.headers.get('x-frame-options')).to.equal(null);
    await until('the journal is applied', () => journalOf(app).pending().length === 0);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice-cookie')).to.deep.equal([]);
  });

  it("front-channel: journaled while the invalidation channel is up, and this instance keeps no copy of anyone's tokens or session", async () => {
    const app = await instance(freshJournal());
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice-held' });
    expect((await aliceBrowser.get('/profile')).status).to.equal(200);
    const { tokenStore, sessionStore, redisInvalidations } = app.container.cradle;
    const aliceAccount = `${alice.oid}.${entra.tenantId}`;
    expect(tokenStore.holds(aliceAccount), 'her tokens held parsed').to.equal(true);
    const sessions = app.container.cradle.storedSessionStore as RedisSessionStore;
    expect(sessions.holds(aliceBrowser.cookie('app.session')!), 'her session held').to.equal(true);

    // Only the store's own connection fails (a reset socket, a READONLY reply): the channel is fine.
    const findBySid = sessionStore.findBySid.bind(sessionStore);
    sessionStore.findBySid = async () => {
      throw new StoreUnavailable('Redis store failed: Connection is closed.');
    };
    const answer = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice-held');

    expect(answer.status, answer.text).to.equal(200);
    expect(journalOf(app).pending(), 'not applied while the store still fails').to.have.length(1);
    expect(redisInvalidations.usable(), 'the channel stayed up').to.equal(true);
    expect(tokenStore.size, 'no parsed tokens held: the journal names a sid, not an account').to.equal(0);
    expect(sessions.holds(aliceBrowser.cookie('app.session')!), 'nor her session').to.equal(false);
    sessionStore.findBySid = findBySid;
    await until('the journal is applied', () => journalOf(app).pending().length === 0);
    expect(await tokenStore.read(aliceAccount)).to.equal(undefined);
  });

  it('front-channel: still applied when the instance restarts before Redis comes back', async () => {
    const journalPath = freshJournal();
    const keyPrefix = `test:journal:${randomUUID()}:`;
    const first = await instance(journalPath, {}, keyPrefix);
    await signInWithBrowser(first.browser(), entra, alice, { sid: 'sid-alice-2' });

    redis!.kill('SIGSTOP');
    expect((await first.browser().get('/auth/signout/frontchannel?sid=sid-alice-2')).status).to.equal(200);
    await apps.splice(0).pop()!.close(); // the instance stops with the entry journaled

    redis!.kill('SIGCONT');
    const restarted = await instance(journalPath, {}, keyPrefix);
    expect(journalOf(restarted).pending(), 'read back from disk').to.have.length(1);
    await until('the restarted instance applied the journal', () => journalOf(restarted).pending().length === 0);
    const { sessionStore, tokenStore } = restarted.container.cradle;
    expect(await sessionStore.findBySid('sid-alice-2')).to.deep.equal([]);
    expect(await tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
  });

  it('back-channel: a verified logout token is journaled, applied later, and its jti claimed then', async () => {
    const app = await instance(freshJournal());
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice-3' });
    const token = await entra.logoutToken({ sid: 'sid-alice-3', jti: 'jti-journaled' });
    const post = () => app.browser().post('/auth/signout/backchannel', { logout_token: token }, { headers: { origin: '', accept: '*/*' } });

    redis!.kill('SIGSTOP');
    const forged = await app.browser().post('/auth/signout/backchannel', { logout_token: 'not-a-jwt' }, { headers: { origin: '', accept: '*/*' } });
    expect(forged.status, 'an invalid token is refused, not journaled').to.equal(400);
    expect((await post()).status).to.equal(200);
    expect(journalOf(app).pending().map((entry) => [entry.channel, entry.jti])).to.deep.equal([['back-channel', 'jti-journaled']]);

    redis!.kill('SIGCONT');
    await until('the journal is applied', () => journalOf(app).pending().length === 0);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice-3')).to.deep.equal([]);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    expect((await post()).status, 'its jti was claimed when applied').to.equal(400);
  });

  it("back-channel by user, applied by a later instance long after: ends the sessions from before it, not the user's sign-in since", async () => {
    const journalPath = freshJournal();
    const keyPrefix = `test:journal:${randomUUID()}:`;
    const first = await instance(journalPath, {}, keyPrefix);
    const oldBrowser = first.browser();
    await signInWithBrowser(oldBrowser, entra, alice, { sid: 'sid-alice-5' });
    const token = await entra.logoutToken({ sub: `sub-${alice.oid}` });

    redis!.kill('SIGSTOP');
    const answer = await first.browser().post('/auth/signout/backchannel', { logout_token: token }, { headers: { origin: '', accept: '*/*' } });
    expect(answer.status).to.equal(200);
    expect(journalOf(first).pending()).to.have.length(1);
    await apps.splice(0).pop()!.close(); // that instance is scaled in, its journal left on its disk

    redis!.kill('SIGCONT');
    // A sign-in five minutes after the sign-out came, at the provider and here: this instance's
    // clock stands for the time that passed.
    const other = await instance(freshJournal(), { now: asValue(() => Date.now() + 5 * 60_000) }, keyPrefix);
    const newBrowser = other.browser();
    await signInWithBrowser(newBrowser, entra, alice, { sid: 'sid-alice-6' });
    expect((await newBrowser.get('/profile')).status).to.equal(200);

    const later = await instance(journalPath, {}, keyPrefix); // the journal's file opened again
    await until('the journal is applied', () => journalOf(later).pending().length === 0);
    const { sessionStore } = later.container.cradle;
    expect(await sessionStore.findBySid('sid-alice-5'), 'the session from before the sign-out').to.deep.equal([]);
    expect(await sessionStore.findBySid('sid-alice-6'), 'the sign-in since').to.have.length(1);
    // Its tokens went with the account's partition, which the sessions from before named: its next
    // page that needs them asks the provider, where it is signed in. The session itself stays.
    expect((await newBrowser.get('/sessions')).status, 'still signed in').to.equal(200);
  });

  it('refuses a sid longer than any provider sends, before the journal sees it', async () => {
    const app = await instance(freshJournal());
    redis!.kill('SIGSTOP');
    expect((await app.browser().get(`/auth/signout/frontchannel?sid=${'x'.repeat(256)}`)).status).to.equal(400);
    expect(journalOf(app).pending()).to.deep.equal([]);
  });

  it("keeps a flood of unknown sids from many addresses to the unverified budget: the provider's sign-out of a user this instance served is still journaled, and applied", async () => {
    const app = await instance(freshJournal(), {}, undefined, { TRUST_PROXY: 'true' });
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice-flood' });

    redis!.kill('SIGSTOP');
    // The auditor's flood, 35 addresses sending 30 random sids each, all at once: each waits for
    // the store's deadline, so none has been counted for its address when the next arrives.
    const provider = app.browser();
    const flood = [];
    for (let address = 0; address < 35; address++) {
      const from = { headers: { 'x-forwarded-for': `203.0.113.${address}` } };
      for (let i = 0; i < 30; i++) flood.push(provider.get(`/auth/signout/frontchannel?sid=${randomUUID()}`, from).then((answer) => answer.status));
    }
    const statuses = await Promise.all(flood);
    expect(statuses.filter((status) => status === 200), 'journaled: 100 a minute at most').to.have.length(100);
    expect(statuses.filter((status) => status === 503), 'the rest: the outage answer').to.have.length(950);

    const aliceSignOut = await provider.get('/auth/signout/frontchannel?sid=sid-alice-flood', { headers: { 'x-forwarded-for': '203.0.113.0' } });
    expect(aliceSignOut.status, aliceSignOut.text).to.equal(200);
    expect(journalOf(app).names({ sid: 'sid-alice-flood' })).to.equal(true);

    redis!.kill('SIGCONT');
    await until('the journal is applied', () => journalOf(app).pending().length === 0);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice-flood')).to.deep.equal([]);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    expect((await aliceBrowser.get('/profile')).status, 'alice is signed out').to.equal(302);
  });

  it('answers 503 when the journal is full (for front-channel entries, half of it)', async () => {
    const app = await instance(freshJournal(), { signOutJournal: asValue(new LocalSignOutJournal({ maxEntries: 2 })) });
    redis!.kill('SIGSTOP');
    expect((await app.browser().get('/auth/signout/frontchannel?sid=one')).status).to.equal(200);
    expect((await app.browser().get('/auth/signout/frontchannel?sid=two')).status).to.equal(503);
  });
});
