import { expect } from 'chai';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';

/**
 * The provider failing a refresh of the user's tokens: reached but failing is "could not renew your
 * access", out of reach is "not reachable". Either is a 503 logged as an error, and the user stays
 * signed in with their tokens: the next page, once the provider answers again, is served.
 */
describe('the provider failing a refresh', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000f2');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { HTTP_TIMEOUT_MS: '300' }, (fake) => {
    fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: every page refreshes
  })));
  afterEach(() => stopTestApp(app));

  async function failedRefresh(answer: [number, unknown] | 'never'): Promise<string> {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    entra.tokenAnswer = (form, given) =>
      form.get('grant_type') !== 'refresh_token' ? given : answer === 'never' ? new Promise<never>(() => {}) : answer;
    const page = await browser.get('/profile');
    expect(page.status, page.text).to.equal(503);
    expect(page.text).to.not.match(/node_modules|at [\w.]+ \(|Error:/);
    const logged = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((line) => line.message === 'request failed').map((line) => line.level), 'an alert').to.deep.equal(['error']);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'the tokens stay').to.not.equal(undefined);
    entra.tokenAnswer = undefined;
    expect((await browser.get('/profile')).status, 'still signed in once the provider answers').to.equal(200);
    return page.text;
  }

  for (const [what, answer] of [
    ['a 500 with server_error', [500, { error: 'server_error' }]],
    ["a gateway's 502 page", [502, '<html><body>Bad Gateway</body></html>']],
    ["a 401 invalid_client (this app's secret wrong or expired)", [401, { error: 'invalid_client', error_description: 'AADSTS7000222: The provided client secret keys are expired.' }]],
    ['a 400 unauthorized_client', [400, { error: 'unauthorized_client' }]],
    ['a 200 with no access token', [200, { token_type: 'Bearer', expires_in: 3600 }]],
  ] as const) {
    it(`says the access could not be renewed for ${what}: the provider answered`, async () => {
      const text = await failedRefresh(answer as [number, unknown]);
      expect(text).to.contain('could not renew your access right now');
      expect(text).to.not.contain('not reachable');
    });
  }

  it('says "could not renew" on every page of the user that waited for that refresh, not "not reachable" on the second', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    entra.tokenAnswer = (form, given) =>
      form.get('grant_type') !== 'refresh_token' ? given : new Promise((resolve) => setTimeout(() => resolve([500, { error: 'server_error' }]), 200));
    const pages = await Promise.all([browser.get('/profile'), browser.get('/profile')]);
    expect(pages.map((page) => [page.status, /could not renew your access/.test(page.text), /not reachable/.test(page.text)])).to.deep.equal([
      [503, true, false],
      [503, true, false],
    ]);
  });

  it('says the sign-in service is not reachable when the token endpoint does not answer in time', async () => {
    const text = await failedRefresh('never');
    expect(text).to.contain('not reachable right now');
  });
});
