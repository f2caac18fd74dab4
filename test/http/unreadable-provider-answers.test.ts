import { expect } from 'chai';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';

const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Fields of the provider's answers that MSAL reads without checking their JSON type. Most were a
 * TypeError inside MSAL or an invalid date on the page (a 500), one a sign-in with no session; each
 * is now the provider failing (503, nothing stored) or read as text.
 */
describe('provider answers with fields of the wrong type', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000d7');
  let entra: FakeEntra;
  let app: TestApp;
  let accountId: string;

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice]));
    accountId = `${alice.oid}.${entra.tenantId}`;
  });
  afterEach(() => stopTestApp(app));

  for (const [what, change] of [
    ['a client_info that decodes to JSON null', (body: Record<string, unknown>) => ({ ...body, client_info: encoded(null) })],
    ['a client_info that is not text', (body: Record<string, unknown>) => ({ ...body, client_info: 42 })],
    ['a scope that is not a string', (body: Record<string, unknown>) => ({ ...body, scope: 5 })],
    ['an expires_in that is no number of seconds', (body: Record<string, unknown>) => ({ ...body, expires_in: { seconds: 3600 } })],
    ['an expires_in no date can hold', (body: Record<string, unknown>) => ({ ...body, expires_in: 1e13 })],
    ['an expires_in of that many digits', (body: Record<string, unknown>) => ({ ...body, expires_in: '10000000000000' })],
    ['a negative expires_in', (body: Record<string, unknown>) => ({ ...body, expires_in: -5 })],
    ['an ext_expires_in no date can hold', (body: Record<string, unknown>) => ({ ...body, ext_expires_in: 1e13 })],
    ['an access token that is a number', (body: Record<string, unknown>) => ({ ...body, access_token: 12345 })],
    ['an access token that is an object', (body: Record<string, unknown>) => ({ ...body, access_token: { value: 'x' } })],
  ] as const) {
    it(`answers a sign-in whose code redemption brings ${what} with a 503, storing nothing`, async () => {
      entra.tokenAnswer = (_form, [status, body]) => [status, change({ ...(body as Record<string, unknown>) })];
      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-a' });
      expect(callback.status, callback.text).to.equal(503);
      expect(await app.container.cradle.tokenStore.read(accountId)).to.equal(undefined);
      expect(await app.container.cradle.sessionStore.findBySid('sid-a')).to.deep.equal([]);
    });

    it(`answers a page whose refresh brings ${what} with a 503, and serves it once the provider answers well`, async () => {
      entra.accessTokenLifetimeSeconds = 60; // inside the expiry margin: every page refreshes
      const browser = app.browser();
      expect((await signInWithBrowser(browser, entra, alice, { sid: 'sid-a' })).status).to.equal(302);
      entra.tokenAnswer = (form, [status, body]) =>
        form.get('grant_type') === 'refresh_token' ? [status, change({ ...(body as Record<string, unknown>) })] : [status, body];
      const page = await browser.get('/profile');
      expect(page.status, page.text).to.equal(503);
      entra.tokenAnswer = undefined;
      expect((await browser.get('/profile')).status).to.equal(200);
    });
  }

  it('signs in a user whose ID token names them with a number, with a session that can sign them out', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, preferred_username: 12345, name: { given: 'Alice' } });
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-a' });
    expect(callback.status, callback.text).to.equal(302);
    expect(await app.container.cradle.sessionStore.findBySid('sid-a'), 'a session, which a sign-out finds').to.have.length(1);
    const profile = await browser.get('/profile');
    expect(profile.status).to.equal(200);
    expect(profile.text).to.not.contain('[object Object]');
  });

  it('names a user whose ID token carries no name nor username (the profile scope declined) by their subject', async () => {
    entra.idTokenClaims = (claims) => {
      const { preferred_username: _username, name: _name, ...rest } = claims;
      return rest;
    };
    const browser = app.browser();
    expect((await signInWithBrowser(browser, entra, alice, { sid: 'sid-a' })).status).to.equal(302);
    const home = await browser.get('/');
    expect(home.text).to.contain(`Signed in as sub-${alice.oid}`);
  });
});
