import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

describe('no resurrection: a refresh in flight during sign-out', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, (fake) => {
      fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: /profile refreshes
    }));
  });
  afterEach(async () => {
    entra.releaseRefreshes();
    await stopTestApp(app);
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

describe('no resurrection at the provider: the refresh token of a refresh in flight during sign-out', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  /** The refresh tokens the provider issued by refreshing, oldest first. */
  let issuedByRefresh: string[];

  beforeEach(async () => {
    issuedByRefresh = [];
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, (fake) => {
      fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: /profile refreshes
      fake.revocation = true;
      fake.rotateRefreshTokens = true; // each refresh issues a new refresh token
      fake.tokenAnswer = (form, answer) => {
        const body = answer[1] as { refresh_token?: string };
        if (form.get('grant_type') === 'refresh_token' && answer[0] === 200 && body.refresh_token) issuedByRefresh.push(body.refresh_token);
        return answer;
      };
    }));
  });
  afterEach(async () => {
    entra.releaseRefreshes();
    await stopTestApp(app);
  });

  it('revokes the new refresh token of a refresh whose write-back found the tokens removed', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const accountId = `${alice.oid}.${entra.tenantId}`;

    entra.holdRefreshResponses();
    const profile = browser.get('/profile');
    while (entra.heldRefreshes === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Signed out meanwhile, e.g. at another instance, after the provider had taken the refresh.
    await app.container.cradle.tokenStore.remove(accountId);
    entra.releaseRefreshes();
    await profile;

    const [dropped] = issuedByRefresh;
    expect(dropped, 'the provider issued one').to.be.a('string');
    expect(await app.container.cradle.tokenStore.read(accountId), 'still removed').to.equal(undefined);
    expect(await entra.redeemRefreshToken(dropped!), 'revoked: it no longer works at the provider').to.equal('invalid_grant');
    expect(app.logs.join('\n'), 'never logged').to.not.contain(dropped!);
  });
});
