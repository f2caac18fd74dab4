import { expect } from 'chai';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';

/**
 * The token endpoint may refuse a refresh until the user signs in again: `interaction_required`
 * (Entra's AADSTS50076 and the like), sometimes with the `claims` to ask for. A page that needs a
 * refresh then sends the user to sign in, with those claims when they are a claims request, and
 * without them when they are not (no authorization request can carry them).
 */
describe('a token endpoint that refuses a refresh with interaction_required', () => {
  const alice = fakeUser('alice');
  const CLAIMS = { access_token: { capolids: { essential: true, values: ['c1b2'] } } };
  let entra: FakeEntra;
  let app: TestApp;
  let claimsInRefusal: string | undefined;
  let refusal: Record<string, unknown>;

  beforeEach(async () => {
    refusal = { error: 'interaction_required', error_description: 'AADSTS50076: you must use multi-factor authentication', error_codes: [50076] };
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, (fake) => {
      fake.tokenAnswer = (form, answer) => {
        if (form.get('grant_type') !== 'refresh_token') return answer;
        return [400, claimsInRefusal === undefined ? refusal : { ...refusal, claims: claimsInRefusal }];
      };
    }));
  });
  afterEach(() => stopTestApp(app));

  /** A browser signed in as alice whose access token the next page load must refresh. */
  async function signedInNeedingRefresh() {
    entra.accessTokenLifetimeSeconds = 60; // inside the expiry margin: never handed out
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    return browser;
  }

  function claimsOf(authorizationUrl: string): Record<string, unknown> {
    return JSON.parse(new URL(authorizationUrl).searchParams.get('claims') ?? '{}') as Record<string, unknown>;
  }

  it('sends the user to sign in with the claims asked, back to the page', async () => {
    claimsInRefusal = JSON.stringify(CLAIMS);
    const browser = await signedInNeedingRefresh();
    const page = await browser.get('/profile?tab=1');
    expect(page.status, page.text).to.equal(302);
    expect(page.location!.startsWith(`${entra.authority}/oauth2/v2.0/authorize`), page.location).to.equal(true);
    expect(claimsOf(page.location!).access_token).to.deep.include(CLAIMS.access_token);
    const { code, state } = entra.authorize(page.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile?tab=1');
  });

  it('sends the user to sign in with the claims of an invalid_grant refusal too (a revoked refresh token), which MSAL drops', async () => {
    refusal = { error: 'invalid_grant', error_description: 'AADSTS50173: The provided grant has expired due to it being revoked.', error_codes: [50173] };
    claimsInRefusal = JSON.stringify({ access_token: { nbf: { essential: true, value: '1700000000' } } });
    const browser = await signedInNeedingRefresh();
    const page = await browser.get('/profile');
    expect(page.status, page.text).to.equal(302);
    expect(claimsOf(page.location!).access_token).to.deep.include({ nbf: { essential: true, value: '1700000000' } });
    claimsInRefusal = undefined;
    const withoutClaims = await (await signedInNeedingRefresh()).get('/profile');
    expect(withoutClaims.status, 'without claims: sign in all the same').to.equal(302);
    expect(claimsOf(withoutClaims.location!).access_token).to.deep.equal({ xms_cc: { values: ['cp1'] } });
  });

  it('sends the user to sign in without claims that are no claims request, not to a 500 on every load', async () => {
    for (const claims of ['{"access_token":"x"}', 'not json', '[]', Buffer.from(JSON.stringify(CLAIMS)).toString('base64')]) {
      claimsInRefusal = claims;
      const browser = await signedInNeedingRefresh();
      const page = await browser.get('/profile');
      expect(page.status, `${claims}: ${page.text}`).to.equal(302);
      expect(page.location!.startsWith(`${entra.authority}/oauth2/v2.0/authorize`), page.location).to.equal(true);
      // Only what MSAL adds to every request: the client's capabilities.
      expect(claimsOf(page.location!).access_token, claims).to.deep.equal({ xms_cc: { values: ['cp1'] } });
    }
  });

  it('sends the user to sign in when the refresh token does not hold a scope the refresh asks for (invalid_scope, RFC 6749 §6), not to a 503 on every page', async () => {
    refusal = { error: 'invalid_scope', error_description: 'refresh token missing requested scopes' };
    const browser = await signedInNeedingRefresh();
    const page = await browser.get('/profile');
    expect(page.status, page.text).to.equal(302);
    expect(page.location!.startsWith(`${entra.authority}/oauth2/v2.0/authorize`), page.location).to.equal(true);
    expect(new URL(page.location!).searchParams.get('scope')).to.contain('User.Read');
  });

  it('sends the user to sign in when the refusal names no claims', async () => {
    claimsInRefusal = undefined;
    const browser = await signedInNeedingRefresh();
    const page = await browser.get('/profile');
    expect(page.status, page.text).to.equal(302);
    expect(page.location!.startsWith(`${entra.authority}/oauth2/v2.0/authorize`), page.location).to.equal(true);
  });
});
