import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import nock from 'nock';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * The SQLite stores remember sessions and token versions between requests. Another process writing
 * the same file — the operator's `npm run signout`, a second instance on the host — has its own
 * connection, so here each app has its own: what one ends, the other must stop serving.
 */
describe('SQLite: a file another connection writes too (as another process does)', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let dir: string;
  let entra: FakeEntra;
  let app: TestApp;
  let otherProcess: TestApp;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-shared-'));
    blockNetwork();
    entra = new FakeEntra().install();
    fakeGraph([alice, bob]);
    const shared = { TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') };
    app = await startTestApp(entra, shared);
    otherProcess = await startTestApp(entra, shared);
  });
  afterEach(async () => {
    await Promise.all([app.close(), otherProcess.close()]);
    nock.cleanAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refreshes an account once when both apps serve its pages at expiry, so a provider that rotates refresh tokens keeps the user signed in', async () => {
    entra.rotateRefreshTokens = true;
    entra.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: the next page refreshes
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    entra.accessTokenLifetimeSeconds = 3600;
    // The same browser's cookie on either process (one host, one key): 10 pages from each at once.
    const pages = await Promise.all(
      Array.from({ length: 20 }, (_, i) => aliceBrowser.get(i % 2 ? '/profile' : `${otherProcess.baseUrl}/profile`)),
    );
    expect(pages.map((page) => page.status)).to.deep.equal(Array(20).fill(200));
    expect(entra.calls.refresh_token, 'one refresh token redeemed once').to.equal(1);
    const later = await aliceBrowser.get(`${otherProcess.baseUrl}/profile`);
    expect(later.status, 'still signed in').to.equal(200);
    expect(later.text).to.contain(alice.username);
  });

  for (const [what, lose] of [
    ['deleted', (path: string) => rmSync(path)],
    ['replaced (a backup put back)', (path: string) => (renameSync(path, `${path}.moved`), writeFileSync(path, ''))],
  ] as const) {
    it(`an instance whose file was ${what} under it answers 503 and is not ready: it must not go on serving sessions no other process can end`, async () => {
      const aliceBrowser = app.browser();
      await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
      expect((await aliceBrowser.get('/profile')).status).to.equal(200);
      lose(join(dir, 'app.db'));

      const ready = await app.browser().get('/readyz', { headers: { accept: 'application/json' } });
      expect(ready.status, 'taken out at once').to.equal(503);
      expect(JSON.parse(ready.text).checks.store.status).to.equal('failing');
      await sleep(1_100); // the file is looked at every second
      const page = await aliceBrowser.get('/profile');
      expect(page.status, 'no page served from what the lost file held').to.equal(503);
      const logged = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(JSON.stringify(logged), 'the operator is told why').to.contain('restart the app to use the file there now');
    });
  }

  it('an instance that keeps nothing in memory (TOKEN_MEMORY_CACHE_ENTRIES=0) answers 503 too once its file is deleted', async () => {
    const keepsNothing = await startTestApp(entra, { TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'uncached.db'), TOKEN_MEMORY_CACHE_ENTRIES: '0' });
    try {
      const aliceBrowser = keepsNothing.browser();
      await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
      expect((await aliceBrowser.get('/profile')).status).to.equal(200);
      rmSync(join(dir, 'uncached.db'));
      await sleep(1_100);
      expect((await aliceBrowser.get('/profile')).status).to.equal(503);
    } finally {
      await keepsNothing.close();
    }
  });

  it("stops serving a session and tokens the operator's sign-out ended from another connection", async () => {
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    const bobBrowser = app.browser();
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
    expect((await aliceBrowser.get('/profile')).status).to.equal(200);
    expect((await aliceBrowser.get('/profile')).status, 'served again, from what the stores remember').to.equal(200);

    const result = await otherProcess.container.cradle.signOutEverywhere.fromOperator({ subject: `sub-${alice.oid}` });
    expect(result.outcome).to.equal('removed');
    await nextTurn();

    const after = await aliceBrowser.get('/profile');
    expect(after.status, 'signed out').to.equal(302);
    expect(after.location).to.match(/^\/auth\/signin/);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    const bobPage = await bobBrowser.get('/profile');
    expect(bobPage.status, 'bob untouched').to.equal(200);
    expect(bobPage.text).to.contain(bob.username);
  });

  it("drops its parsed copy of the tokens when the operator's sign-out ends them from another connection, without a request of that user", async () => {
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    const bobBrowser = app.browser();
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
    expect((await aliceBrowser.get('/profile')).status).to.equal(200);
    expect((await bobBrowser.get('/profile')).status).to.equal(200);
    const aliceAccount = `${alice.oid}.${entra.tenantId}`;
    const tokens = app.container.cradle.tokenStore;
    expect(tokens.holds(aliceAccount), 'held parsed after her page').to.equal(true);

    await otherProcess.container.cradle.signOutEverywhere.fromOperator({ subject: `sub-${alice.oid}` });
    await nextTurn();
    expect((await bobBrowser.get('/profile')).status, "another user's request looks at the file").to.equal(200);

    expect(tokens.holds(aliceAccount), "alice's access tokens are no longer in this process's memory").to.equal(false);
    expect(tokens.holds(`${bob.oid}.${entra.tenantId}`), "bob's stay").to.equal(true);
  });

  it("drops its parsed copy of the tokens an operator's sign-out ended from another connection while it serves no request at all", async () => {
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    expect((await aliceBrowser.get('/profile')).status).to.equal(200);
    const aliceAccount = `${alice.oid}.${entra.tenantId}`;
    const tokens = app.container.cradle.tokenStore;
    expect(tokens.holds(aliceAccount)).to.equal(true);

    await otherProcess.container.cradle.signOutEverywhere.fromOperator({ subject: `sub-${alice.oid}` });
    for (let waited = 0; tokens.holds(aliceAccount) && waited < 3000; waited += 50) await sleep(50);

    expect(tokens.holds(aliceAccount), 'dropped within the idle look at the file (every second)').to.equal(false);
  });

  it('serves the tokens another connection wrote, not the ones it remembered', async () => {
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    expect((await aliceBrowser.get('/profile')).status).to.equal(200);
    const accountId = `${alice.oid}.${entra.tenantId}`;
    const before = await app.container.cradle.tokenStore.version(accountId);

    // The other connection rewrites the partition (as a refresh there would): a new version.
    const other = otherProcess.container.cradle.tokenStore;
    const partition = (await other.read(accountId))!;
    expect(await other.write(accountId, partition.data, partition.version)).to.equal(true);
    await nextTurn();

    const now = await app.container.cradle.tokenStore.version(accountId);
    expect(now).to.be.a('string').and.not.equal(before);
    expect((await aliceBrowser.get('/profile')).status).to.equal(200);
  });

  it('checkpoints the WAL from a worker thread, so no request commits past 1,000 pages of WAL wait for the fsyncs', async () => {
    for (const instance of [app, otherProcess]) {
      const { walCheckpointer, database } = instance.container.cradle;
      expect(walCheckpointer, 'started with the app').to.not.equal(undefined);
      expect(database.pragma('wal_autocheckpoint', { simple: true }), 'a commit checkpoints only past the safety net').to.equal(10_000);
    }
  });
});
