import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import nock from 'nock';
import { ENTRA_HOST, FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom } from '../support/scripted-browser.ts';

describe('sign-out while the provider cannot be reached', () => {
  const alice = fakeUser('alice');
  let dir: string;
  let entra: FakeEntra;
  let x: TestApp;
  let fresh: TestApp;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'signout-provider-down-'));
    blockNetwork();
    entra = new FakeEntra().install();
    fakeGraph([alice]);
    const shared = { TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') };
    x = await startTestApp(entra, shared);
    fresh = await startTestApp(entra, shared); // has not loaded the provider's discovery document
  });
  afterEach(async () => {
    await Promise.all([x.close(), fresh.close()]);
    nock.cleanAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes the tokens and ends the session before it waits on the provider', async () => {
    const onX = x.browser();
    await signInWithBrowser(onX, entra, alice, { sid: 'sid-alice' });
    const profile = await onX.get('/profile');
    const { tokenStore, sessionStore } = fresh.container.cradle;
    const accountId = `${alice.oid}.${entra.tenantId}`;

    nock.cleanAll();
    let answerDiscovery!: () => void;
    const discoveryHeld = new Promise<void>((resolve) => (answerDiscovery = resolve));
    nock(ENTRA_HOST)
      .persist()
      .get(/openid-configuration/)
      .reply(async () => {
        await discoveryHeld;
        return [503, 'down for maintenance'];
      });
    const onFresh = fresh.browser();
    onFresh.copyCookiesFrom(onX);
    let answered = false;
    const signingOut = onFresh.post('/auth/signout', { _csrf: csrfFrom(profile) }).finally(() => (answered = true));

    // Well inside the time the app gives the provider's discovery before it calls it unreachable.
    const deadline = Date.now() + 1000;
    while ((await tokenStore.read(accountId)) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await tokenStore.read(accountId), 'tokens removed while the provider has not answered').to.equal(undefined);
    expect(await sessionStore.findBySid('sid-alice'), 'session ended').to.deep.equal([]);
    expect(answered, 'the answer waits for the provider, the sign-out here does not').to.equal(false);

    answerDiscovery();
    const page = await signingOut;
    expect(page.status, page.text).to.equal(200);
    expect(page.text).to.contain('You are signed out of this app');
  });

  it('says the user is signed out of this app, names what failed, and offers to retry the provider sign-out', async () => {
    const onX = x.browser();
    await signInWithBrowser(onX, entra, alice, { sid: 'sid-alice' });
    const profile = await onX.get('/profile');
    expect(profile.status).to.equal(200);

    nock.cleanAll();
    nock(ENTRA_HOST).persist().get(/openid-configuration/).reply(503, 'down for maintenance');
    const onFresh = fresh.browser(); // the load balancer sends the sign-out to the fresh instance
    onFresh.copyCookiesFrom(onX);
    const page = await onFresh.post('/auth/signout', { _csrf: csrfFrom(profile) });

    expect(page.status, page.text).to.equal(200);
    expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(page.text).to.contain('You are signed out of this app');
    expect(page.text).to.match(/session at the sign-in service could not be ended/);
    expect(page.text).to.contain('href="/auth/signout/provider"');
    expect(page.text).to.not.match(/not reachable right now|_csrf/);
    expect(await fresh.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'tokens removed').to.equal(undefined);
    expect(await fresh.container.cradle.sessionStore.findBySid('sid-alice'), 'session ended').to.deep.equal([]);
    const after = await onFresh.get('/profile');
    expect(after.status).to.equal(302);
    expect(after.location).to.match(/^\/auth\/signin/);

    nock.cleanAll(); // now the provider cannot be reached at all
    const stillDown = await onFresh.get('/auth/signout/provider');
    expect(stillDown.status).to.equal(503);
    expect(stillDown.text).to.contain('You are signed out of this app').and.contain('href="/auth/signout/provider"');
    expect(stillDown.text, 'still said after a retry that failed').to.contain('the tokens this app held for you have been removed');

    entra.install();
    const retry = await onFresh.get('/auth/signout/provider');
    expect(retry.status).to.equal(302);
    const endSession = new URL(retry.location!);
    expect(endSession.origin + endSession.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).to.equal(`${fresh.baseUrl}/auth/signed-out`);
    expect(endSession.searchParams.has('id_token_hint'), 'no account any more: no ID token to send').to.equal(false);
    // The provider sends the browser back: the page still says its own sign-out removed the tokens.
    const back = await onFresh.get('/auth/signed-out');
    expect(back.text).to.contain('the tokens this app held for you have been removed');
  });

  it('tells a visitor who had no session here just that, when the provider cannot be reached', async () => {
    nock.cleanAll(); // the provider cannot be reached, and the fresh instance has no discovery document
    const page = await fresh.browser().get('/auth/signout/provider');

    expect(page.status).to.equal(503);
    expect(page.text).to.contain('You have no session in this app.');
    expect(page.text, 'nothing ended here').to.not.contain('Your session here has ended');
    const requestId = page.headers.get('x-request-id')!;
    expect(page.text, 'a 5xx names its request').to.contain(`Reference: <code>${requestId}</code>`);
    const logged = fresh.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.requestId === requestId);
    expect(logged.map((line) => [line.level, line.message]), 'and is logged with it').to.deep.equal([['warn', 'the provider session was not ended: the sign-in service could not be reached']]);
  });

  it('tells a browser still signed in here that it is, when its provider-only sign-out cannot reach the provider', async () => {
    const onX = x.browser();
    await signInWithBrowser(onX, entra, alice, { sid: 'sid-alice' });
    nock.cleanAll(); // the provider cannot be reached, and the fresh instance has no discovery document
    const onFresh = fresh.browser();
    onFresh.copyCookiesFrom(onX);

    const page = await onFresh.get('/auth/signout/provider');

    expect(page.status).to.equal(503);
    expect(page.text).to.contain('You are still signed in to this app').and.contain('href="/auth/signout/provider"');
    expect(page.text).to.not.contain('You are signed out').and.not.contain('Your session here has ended');
    expect(page.text, 'the header shows who is signed in').to.contain('Signed in as');
    entra.install();
    fakeGraph([alice]);
    expect((await onFresh.get('/profile')).status, 'indeed still signed in').to.equal(200);
  });

  it("answers a front-channel sign-out that sends iss 503 at an instance that never held the provider's issuer, and one without iss 200", async () => {
    const onX = x.browser();
    await signInWithBrowser(onX, entra, alice, { sid: 'sid-alice' });
    nock.cleanAll(); // the provider cannot be reached, and the fresh instance has no discovery document
    const accountId = `${alice.oid}.${entra.tenantId}`;

    const withIss = await fresh.browser().get(`/auth/signout/frontchannel?sid=sid-alice&iss=${encodeURIComponent(entra.issuer)}`);
    expect(withIss.status, withIss.text).to.equal(503);
    expect(await fresh.container.cradle.tokenStore.read(accountId), 'nothing done').to.not.equal(undefined);

    const withoutIss = await fresh.browser().get('/auth/signout/frontchannel?sid=sid-alice');
    expect(withoutIss.status).to.equal(200);
    expect(await fresh.container.cradle.tokenStore.read(accountId), 'signed out').to.equal(undefined);
  });
});
