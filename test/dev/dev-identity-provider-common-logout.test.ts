import { expect } from 'chai';
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose';
import { fetchTrustingCa } from '../../src/dev/node-http-fetch.ts';
import { FABRIKAM_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import type { DevClient } from '../../src/dev/identity-provider/start-dev-identity-provider.ts';
import { startBackChannelReceiver } from './support/back-channel-receiver.ts';
import type { BackChannelReceiver } from './support/back-channel-receiver.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { discoverAll } from './support/multi-tenant.ts';
import { firstForm, signIn, tokenRequest } from './support/sign-in.ts';
import type { Discovery, SignInResult } from './support/sign-in.ts';
import { iframeSources, unescapeHtml as unescape } from '../e2e/support/journeys.ts';
import { otherApp, TEST_SCOPES } from './support/logout-clients.ts';

const carol = demoUserByUsername('carol')!;
const SCOPES = TEST_SCOPES;
const OTHER_APP = otherApp();

describe('dev identity provider: sign-out of a user signed in through common', () => {
  let receiver: BackChannelReceiver;
  let fixture: DevProviderFixture;
  let common: Discovery;
  let webApp: DevClient;
  let web: SignInResult;
  let other: SignInResult;

  before(async () => {
    receiver = await startBackChannelReceiver();
    webApp = { ...WEB_APP, backchannelLogoutUri: receiver.url };
  });
  after(() => receiver.close());
  beforeEach(async () => {
    fixture = await startDevProviderFixture({ clients: [webApp, OTHER_APP] });
    ({ common } = await discoverAll(fixture));
    receiver.bodies.length = 0;
    web = await signIn(fixture.browser, fixture.ca, common, asTestClient(webApp), { username: 'carol', scope: SCOPES });
    other = await signIn(fixture.browser, fixture.ca, common, asTestClient(OTHER_APP), { username: 'carol', scope: SCOPES });
    expect(other.pages, 'single sign-on into the second app').to.deep.equal(['consent: openid profile api://demo-api/Profile.Read']);
  });
  afterEach(() => fixture.stop());

  /** Opens the common end-session endpoint with `params` and confirms, as the page's script would. */
  async function signOutThroughCommon(params: Record<string, string>) {
    const endSession = new URL(common.end_session_endpoint);
    endSession.search = new URLSearchParams(params).toString();
    const confirmPage = await fixture.browser.get(endSession.href);
    expect(confirmPage.status, confirmPage.text.slice(0, 300)).to.equal(200);
    const { action, hidden } = firstForm(confirmPage.text);
    return { confirmPage, action, page: await fixture.browser.post(new URL(action, endSession).href, { ...hidden, logout: 'yes' }) };
  }

  it('ends the Fabrikam session: front-channel iframes carry the sids from her id tokens, then continues', async () => {
    const { confirmPage, action, page } = await signOutThroughCommon({ id_token_hint: web.tokens.id_token, post_logout_redirect_uri: 'http://localhost:3000/signed-out', state: 'xyz' });

    expect(confirmPage.text, 'submits itself when the hint names the user').to.include('.submit()');
    expect(new URL(action, common.end_session_endpoint).pathname).to.equal(`/${FABRIKAM_TENANT_ID}/oauth2/v2.0/logout/confirm`);
    expect(iframeSources(page.text)).to.have.members([
      `http://localhost:3000/auth/frontchannel-logout?sid=${encodeURIComponent(String(web.idToken['sid']))}`,
      `http://localhost:4000/logout?sid=${encodeURIComponent(String(other.idToken['sid']))}`,
    ]);
    expect(unescape(/id="continue" href="([^"]+)"/.exec(page.text)?.[1] ?? '')).to.equal('http://localhost:3000/signed-out?state=xyz');
  });

  it('answers the "Sign out?" form sent twice (a double click) with a page saying so, not a sign-in error', async () => {
    const endSession = new URL(common.end_session_endpoint);
    endSession.search = new URLSearchParams({ id_token_hint: web.tokens.id_token! }).toString();
    const { action, hidden } = firstForm((await fixture.browser.get(endSession.href)).text);
    const confirm = () => fixture.browser.post(new URL(action, endSession).href, { ...hidden, logout: 'yes' });

    expect((await confirm()).status, 'the first click signs out').to.equal(200);
    const again = await confirm();

    expect(again.status).to.equal(400);
    expect(again.text).to.contain('Sign-out page no longer valid').and.not.contain('Sign-in error');
  });

  it('answers a "Sign out?" form older than another tab\'s the same way', async () => {
    const endSession = new URL(common.end_session_endpoint);
    endSession.search = new URLSearchParams({ id_token_hint: web.tokens.id_token! }).toString();
    const older = firstForm((await fixture.browser.get(endSession.href)).text);
    await fixture.browser.get(endSession.href); // another tab: a new form, a new token

    const stale = await fixture.browser.post(new URL(older.action, endSession).href, { ...older.hidden, logout: 'yes' });

    expect(stale.status).to.equal(400);
    expect(stale.text).to.contain('Sign-out page no longer valid').and.not.contain('Sign-in error');
  });

  it('sends a logout token with the Fabrikam issuer and the sid of her id token, and revokes her refresh tokens', async () => {
    await signOutThroughCommon({ id_token_hint: web.tokens.id_token });

    expect(receiver.bodies).to.have.length(1);
    const keys = createRemoteJWKSet(new URL(common.jwks_uri), { [customFetch]: fetchTrustingCa(fixture.ca) });
    const { payload } = await jwtVerify(receiver.bodies[0]!.get('logout_token')!, keys, {
      issuer: `${new URL(fixture.idp.issuer).origin}/${FABRIKAM_TENANT_ID}/v2.0`, audience: webApp.clientId, typ: 'logout+jwt',
    });
    expect(payload).to.include({ sub: carol.oid, sid: web.idToken['sid'] });

    for (const [client, result] of [[webApp, web], [OTHER_APP, other]] as const) {
      const refresh = tokenRequest(fixture.ca, common, asTestClient(client), { grant_type: 'refresh_token', refresh_token: result.tokens.refresh_token!, scope: SCOPES });
      expect(String(await refresh.then(() => 'refreshed', (e: unknown) => e))).to.match(/400.*invalid_grant/);
    }
    const again = await signIn(fixture.browser, fixture.ca, common, asTestClient(webApp), { username: 'carol', scope: SCOPES });
    expect(again.pages[0], 'the provider session is gone').to.equal('common sign-in');
  });

  it('finds her tenant from logout_hint alone, and from the browser session when there is no hint', async () => {
    const hinted = await signOutThroughCommon({ logout_hint: 'carol@fabrikam.dev' });
    expect(hinted.confirmPage.text).to.include('Carol White').and.include('.submit()');

    await signIn(fixture.browser, fixture.ca, common, asTestClient(webApp), { username: 'carol', scope: SCOPES });
    const unhinted = await fixture.browser.get(`${common.end_session_endpoint}?client_id=${webApp.clientId}`);
    expect(unhinted.text).to.include('Carol White').and.not.include('.submit()');
  });
});
