import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { metricValue } from '../support/metric-values.ts';
import { csrfFrom, type ScriptedBrowser } from '../support/scripted-browser.ts';

describe('metrics: what the app counts', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let app: TestApp;
  const value = (name: string, labels: Record<string, string> = {}) => metricValue(app.container.cradle.metrics.registry, name, labels);
  const signOuts = (channel: string, outcome: string) => value('app_sign_outs_total', { channel, outcome });
  const silent = (outcome: string) => value('app_silent_token_acquisitions_total', { outcome });
  const provider = () => app.browser();
  const backChannel = (form: Record<string, string>) => provider().post('/auth/signout/backchannel', form, { headers: { origin: '', accept: '*/*' } });

  let dir: string;
  let otherProcess: Database.Database | undefined;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'metrics-'));
    ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') }));
  });
  afterEach(async () => {
    otherProcess?.close();
    otherProcess = undefined;
    await stopTestApp(app);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Another connection (an operator's tool, another process) holds the write lock: every write fails. */
  function lockTheDatabase(): void {
    otherProcess = new Database(join(dir, 'app.db'));
    otherProcess.exec('BEGIN IMMEDIATE');
  }

  async function signedIn(user = alice, sid = 'sid-alice'): Promise<ScriptedBrowser> {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, user, { sid });
    return browser;
  }

  it('counts every sign-out channel and outcome from 0', async () => {
    for (const channel of ['app', 'front-channel', 'back-channel', 'sessions-page', 'operator', 'cae-revocation']) {
      for (const outcome of ['removed', 'nothing-held', 'journaled', 'failed']) expect(await signOuts(channel, outcome), `${channel} ${outcome}`).to.equal(0);
    }
  });

  it('has the counters to alert on from the start at 0: refused logout tokens by every rule, store errors of every store operation', async () => {
    const text = await app.container.cradle.metrics.registry.metrics();
    for (const reason of ['signature', 'algorithm', 'iss', 'tid', 'aud', 'azp', 'exp', 'iat', 'nbf', 'typ', 'events', 'nonce', 'jti', 'sid-or-sub', 'malformed', 'replayed', 'missing']) {
      expect(text, reason).to.contain(`app_logout_tokens_refused_total{reason="${reason}"} 0`);
    }
    for (const [store, operation] of [['tokens', 'read'], ['sessions', 'get'], ['sessions', 'findBySid'], ['replay-guard', 'claim']]) {
      expect(text, `${store} ${operation}`).to.match(new RegExp(`app_store_errors_total\\{store="${store}",backend="\\w+",operation="${operation}"\\} 0`));
    }
  });

  it('counts front-channel sign-outs that removed something and those that found nothing, and the partitions removed', async () => {
    await signedIn();
    expect((await provider().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
    expect((await provider().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
    expect(await signOuts('front-channel', 'removed')).to.equal(1);
    expect(await signOuts('front-channel', 'nothing-held')).to.equal(1);
    expect(await value('app_token_partitions_removed_total'), 'one partition held, removed once').to.equal(1);
  });

  it('counts a sign-out from the app', async () => {
    const browser = await signedIn();
    const home = await browser.get('/');
    expect((await browser.post('/auth/signout', { _csrf: csrfFrom(home) })).status).to.equal(302);
    expect(await signOuts('app', 'removed')).to.equal(1);
    expect(await value('app_token_partitions_removed_total')).to.equal(1);
  });

  it('counts back-channel sign-outs, and refused logout tokens by the rule they failed', async () => {
    await signedIn(bob, 'sid-bob');
    const token = await entra.logoutToken({ sid: 'sid-bob' });
    expect((await backChannel({ logout_token: token })).status).to.equal(200);
    expect((await backChannel({ logout_token: token })).status, 'replayed').to.equal(400);
    expect((await backChannel({ logout_token: await entra.logoutToken({ sid: 'x', aud: 'another-client' }) })).status).to.equal(400);
    expect((await backChannel({})).status).to.equal(400);
    expect(await signOuts('back-channel', 'removed')).to.equal(1);
    expect(await value('app_logout_tokens_refused_total', { reason: 'replayed' })).to.equal(1);
    expect(await value('app_logout_tokens_refused_total', { reason: 'aud' })).to.equal(1);
    expect(await value('app_logout_tokens_refused_total', { reason: 'missing' })).to.equal(1);
    expect(await signOuts('back-channel', 'failed'), 'a refused token is not a failed sign-out').to.equal(0);
  });

  it('counts silent token acquisitions: from the store, from memory, refreshed, and interaction required', async () => {
    const browser = await signedIn();
    expect((await browser.get('/profile')).status).to.equal(200);
    expect(await silent('store-hit'), 'first use: the partition read from the store').to.equal(1);
    expect((await browser.get('/profile')).status).to.equal(200);
    expect(await silent('memory-hit'), 'then the parsed copy, still current').to.equal(1);

    entra.accessTokenLifetimeSeconds = 1; // every token issued from now on is too close to expiry to hand out
    await app.container.cradle.tokenStore.remove(`${alice.oid}.${entra.tenantId}`);
    expect((await browser.get('/profile')).status, 'sent to sign in').to.equal(302);
    expect(await silent('interaction-required')).to.equal(1);

    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice-2' });
    expect((await browser.get('/profile')).status).to.equal(200);
    expect(await silent('refreshed')).to.equal(1);
  });

  it('times store operations and counts the failed ones', async () => {
    const browser = await signedIn();
    await browser.get('/profile');
    // The first use of a partition not held in memory reads its summary (which brings its version).
    expect(await value('app_store_operation_duration_seconds', { store: 'tokens', backend: 'sqlite', operation: 'readSummary' })).to.be.greaterThan(0);
    expect(await value('app_store_operation_duration_seconds', { store: 'sessions', backend: 'sqlite', operation: 'get' })).to.be.greaterThan(0);
    expect(await value('app_store_errors_total')).to.equal(0);

    lockTheDatabase();
    expect((await provider().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(503);
    // Its first write, a note that the provider session ended (best effort), then its removal.
    expect(await value('app_store_errors_total', { store: 'replay-guard', backend: 'sqlite', operation: 'claim' })).to.equal(1);
    expect(await value('app_store_errors_total', { store: 'tokens', backend: 'sqlite', operation: 'remove' })).to.equal(1);
    expect(await value('app_store_operation_duration_seconds', { store: 'tokens', backend: 'sqlite', operation: 'remove' }), 'failures are timed too').to.equal(1);
  });

  it('counts a sign-out that could not be carried out as failed', async () => {
    await signedIn();
    lockTheDatabase();
    expect((await provider().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(503);
    expect(await signOuts('front-channel', 'failed')).to.equal(1);
  });
});
