import { expect } from 'chai';
import nock from 'nock';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';

describe('no resurrection: a refresh in flight during sign-out', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => {
    blockNetwork();
    entra = new FakeEntra().install();
    entra.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: /profile refreshes
    fakeGraph([alice]);
    app = await startTestApp(entra, { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' });
  });
  afterEach(async () => {
    entra.releaseRefreshes();
    await app.close();
    nock.cleanAll();
  });

  it('does not write the tokens back when the provider signs the user out while the refresh is held', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const accountId = `${alice.oid}.${entra.tenantId}`;

    entra.holdRefreshResponses();
    const profile = browser.get('/profile');
    while (entra.heldRefreshes === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const signOut = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');
    expect(signOut.status).to.equal(200);
    expect(await app.container.cradle.tokenStore.read(accountId), 'removed by the sign-out').to.equal(undefined);

    entra.releaseRefreshes();
    await profile;

    expect(await app.container.cradle.tokenStore.read(accountId), 'still removed after the refresh finished').to.equal(undefined);
    expect(app.logs.some((line) => line.includes('refreshed tokens not stored'))).to.equal(true);
    const after = await browser.get('/profile');
    expect(after.status).to.equal(302);
    expect(after.location).to.match(/^\/auth\/signin/);
  });
});
