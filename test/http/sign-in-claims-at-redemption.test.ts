import { expect } from 'chai';
import { startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import type { ScriptedBrowser } from '../support/scripted-browser.ts';

/**
 * The token endpoint may refuse to redeem a code until the user meets a Conditional Access policy
 * (multi-factor, a compliant device): `interaction_required` with the `claims` to ask for (Entra's
 * AADSTS50076 and the like). The sign-in is then started again, once, with those claims.
 */
describe('a token endpoint that asks for claims when the code is redeemed', () => {
  const alice = fakeUser('alice');
  const CLAIMS = { access_token: { capolids: { essential: true, values: ['c1b2'] } } };
  let entra: FakeEntra;
  let app: TestApp;
  let refusals: number;
  let claimsInRefusal: string | undefined;

  beforeEach(async () => {
    refusals = 0;
    claimsInRefusal = JSON.stringify(CLAIMS);
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, (fake) => {
      fake.tokenAnswer = (form, answer) => {
        if (form.get('grant_type') !== 'authorization_code' || refusals === 0) return answer;
        refusals--;
        const body = { error: 'interaction_required', error_description: 'AADSTS50076: you must use multi-factor authentication', error_codes: [50076], suberror: 'basic_action' };
        return [400, claimsInRefusal ? { ...body, claims: claimsInRefusal } : body];
      };
    }));
  });
  afterEach(() => stopTestApp(app));

  /** The provider's answer, for alice, to the authorization request at `location`, brought back to the app. */
  async function callbackOf(browser: ScriptedBrowser, location: string) {
    const { code, state } = entra.authorize(location, alice);
    return browser.get(`/auth/redirect?code=${code}&state=${state}`);
  }

  /** The claims an authorization request asks for (MSAL adds the client's capabilities to them). */
  function claimsOf(authorizationUrl: string): Record<string, unknown> {
    return JSON.parse(new URL(authorizationUrl).searchParams.get('claims') ?? '{}') as Record<string, unknown>;
  }

  it('starts the sign-in again with the claims asked, and ends on the page the user wanted', async () => {
    refusals = 1;
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const refused = await callbackOf(browser, start.location!);
    expect(refused.status, refused.text).to.equal(302);
    expect(refused.location!.startsWith(`${entra.authority}/oauth2/v2.0/authorize`), refused.location).to.equal(true);
    expect(claimsOf(refused.location!).access_token).to.deep.include(CLAIMS.access_token);
    expect(refused.headers.get('cache-control')).to.equal('no-cache, no-store');

    const callback = await callbackOf(browser, refused.location!);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
    const redeemedWith = JSON.parse(entra.lastTokenRequestClaims ?? '{}');
    expect(redeemedWith.access_token, 'the code redeemed with the claims asked').to.deep.include(CLAIMS.access_token);
    const profile = await browser.get('/profile');
    expect(profile.status).to.equal(200);
    expect(profile.text).to.contain(alice.username);
  });

  it('starts the sign-in again with the claims of an invalid_grant refusal too, which MSAL drops', async () => {
    let refused = false;
    entra.tokenAnswer = (form, answer) => {
      if (form.get('grant_type') !== 'authorization_code' || refused) return answer;
      refused = true;
      return [400, { error: 'invalid_grant', error_description: 'AADSTS50076: you must use multi-factor authentication', error_codes: [50076], claims: JSON.stringify(CLAIMS) }];
    };
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const again = await callbackOf(browser, start.location!);
    expect(again.status, again.text).to.equal(302);
    expect(claimsOf(again.location!).access_token).to.deep.include(CLAIMS.access_token);
    const callback = await callbackOf(browser, again.location!);
    expect(callback.location).to.equal('/profile');
  });

  it("keeps the browser's other sign-ins in progress when one is started again with claims", async () => {
    refusals = 1;
    const browser = app.browser();
    const starts = [await browser.get('/auth/signin?returnTo=%2Fa'), await browser.get('/auth/signin?returnTo=%2Fb'), await browser.get('/auth/signin?returnTo=%2Fprofile')];
    const again = await callbackOf(browser, starts[2]!.location!);
    expect(again.location!.startsWith(entra.authority), again.location).to.equal(true);
    const callback = await callbackOf(browser, starts[0]!.location!);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/a');
  });

  it('does not send the user round again when the sign-in with those claims is refused the same way', async () => {
    refusals = 2;
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const refused = await callbackOf(browser, start.location!);
    const page = await callbackOf(browser, refused.location!);
    expect(page.status).to.equal(502);
    expect(page.text).to.contain('still refuses');
    expect(browser.cookie('app.session'), 'not signed in').to.equal(undefined);
  });

  it('keeps a refusal whose claims are no claims request a 400 "Sign-in failed", not a 500: no request can carry them', async () => {
    const notRequests = [Buffer.from(JSON.stringify(CLAIMS)).toString('base64'), '{"access_token":null}', '{"access_token":"x"}', '{"id_token":null}', '[]'];
    for (const claims of notRequests) {
      refusals = 1;
      claimsInRefusal = claims;
      const browser = app.browser();
      const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
      const page = await callbackOf(browser, start.location!);
      expect(page.status, claims).to.equal(400);
      expect(page.text).to.contain('Sign-in failed');
    }
  });

  it('keeps a refusal that names no claims a 400 "Sign-in failed": a new sign-in would ask for nothing more', async () => {
    refusals = 1;
    claimsInRefusal = undefined;
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const page = await callbackOf(browser, start.location!);
    expect(page.status).to.equal(400);
    expect(page.text).to.contain('Sign-in failed');
  });
});
