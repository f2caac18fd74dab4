import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom } from '../support/scripted-browser.ts';

describe('the CSRF token of the sign-out form', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  it('is the same on two pages loaded at the same time right after sign-in, so either can sign out', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const [first, second] = await Promise.all([browser.get('/'), browser.get('/profile')]);
    expect(first.status).to.equal(200);
    expect(second.status).to.equal(200);
    expect(csrfFrom(second)).to.equal(csrfFrom(first));

    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(first) });
    expect(signOut.status, signOut.text).to.equal(302);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'signed out').to.equal(undefined);
  });
});
