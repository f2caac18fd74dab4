import { expect } from 'chai';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';

/**
 * One refresh per account at a time (refresh-gate.ts). When the provider does not answer, the
 * pages of one user that waited for that refresh fail with it: otherwise each would try its own in
 * turn, and the Nth would answer after N times HTTP_TIMEOUT_MS.
 */
describe("concurrent pages of one user at expiry while the provider's token endpoint does not answer", () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:', HTTP_TIMEOUT_MS: '500' }, (fake) => {
      fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: every page refreshes
    }));
  });
  afterEach(async () => {
    entra.releaseRefreshes();
    await stopTestApp(app);
  });

  it('answer 503 together, after one HTTP_TIMEOUT_MS', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    entra.holdRefreshResponses(); // the token endpoint takes the request and never answers
    const started = Date.now();
    const pages = await Promise.all(Array.from({ length: 10 }, async () => ({ status: (await browser.get('/profile')).status, ms: Date.now() - started })));

    expect(pages.map((page) => page.status)).to.deep.equal(Array(10).fill(503));
    expect(Math.max(...pages.map((page) => page.ms)), 'the slowest page, ms').to.be.below(1500);
  });
});
