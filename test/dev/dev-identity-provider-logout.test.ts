import { expect } from 'chai';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { fetchTrustingCa } from '../../src/dev/node-http-fetch.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import type { DevClient } from '../../src/dev/identity-provider/start-dev-identity-provider.ts';
import { startBackChannelReceiver } from './support/back-channel-receiver.ts';
import type { BackChannelReceiver } from './support/back-channel-receiver.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { firstForm, signIn, tokenRequest } from './support/sign-in.ts';
import type { SignInResult } from './support/sign-in.ts';
import type { Page } from '../support/scripted-browser.ts';
import { iframeSources, unescapeHtml as unescape } from '../e2e/support/journeys.ts';
import { otherApp, TEST_SCOPES } from './support/logout-clients.ts';

const alice = demoUserByUsername('alice')!;
const SCOPES = TEST_SCOPES;
const OTHER_APP = otherApp('http://localhost:4000/logout?tenant=x');

describe('dev identity provider: sign-out', () => {
  let receiver: BackChannelReceiver;
  let fixture: DevProviderFixture;
  let webApp: DevClient;

  before(async () => {
    receiver = await startBackChannelReceiver();
    webApp = { ...WEB_APP, backchannelLogoutUri: receiver.url };
  });
  after(() => receiver.close());
  afterEach(() => fixture.stop());

  /** Alice signs in to both apps in one browser, then signs out from the web app with its id_token as hint. */
  async function signInToBothThenSignOut(): Promise<{ web: SignInResult; other: SignInResult; page: Page }> {
    const web = await signIn(fixture.browser, fixture.ca, fixture.discovery, asTestClient(webApp), { username: 'alice', scope: SCOPES });
    const other = await signIn(fixture.browser, fixture.ca, fixture.discovery, asTestClient(OTHER_APP), { username: 'alice', scope: SCOPES });
    expect(other.pages, 'single sign-on into the second app').to.deep.equal([`consent: openid profile api://demo-api/Profile.Read`]);

    const endSession = new URL(fixture.discovery.end_session_endpoint);
    endSession.search = new URLSearchParams({ id_token_hint: web.tokens.id_token, post_logout_redirect_uri: 'http://localhost:3000/signed-out', state: 'xyz' }).toString();
    const confirmPage = await fixture.browser.get(endSession.href);
    expect(confirmPage.status).to.equal(200);
    expect(confirmPage.text, 'submits itself when the hint names the user').to.include('.submit()');
    const { action, hidden } = firstForm(confirmPage.text);
    expect(hidden).to.include({ logout: 'yes' });
    const page = await fixture.browser.post(new URL(action, endSession).href, hidden);
    return { web, other, page };
  }

  it('loads every signed-in app front-channel logout URL with its own sid, without iss, then continues to post_logout_redirect_uri', async () => {
    fixture = await startDevProviderFixture({ clients: [webApp, OTHER_APP] });
    const { web, other, page } = await signInToBothThenSignOut();

    expect(page.status).to.equal(200);
    expect(page.location).to.equal(undefined);
    const webSid = String(web.idToken['sid']);
    const otherSid = String(other.idToken['sid']);
    expect(webSid).not.to.equal(otherSid);
    expect(iframeSources(page.text)).to.have.members([
      `http://localhost:3000/auth/frontchannel-logout?sid=${encodeURIComponent(webSid)}`,
      `http://localhost:4000/logout?tenant=x&sid=${encodeURIComponent(otherSid)}`,
    ]);
    expect(unescape(/id="continue" href="([^"]+)"/.exec(page.text)?.[1] ?? '')).to.equal('http://localhost:3000/signed-out?state=xyz');
  });

  it('adds iss to front-channel logout URLs when sendIssInFrontChannel is set', async () => {
    fixture = await startDevProviderFixture({ clients: [webApp, OTHER_APP], sendIssInFrontChannel: true });
    const { web, page } = await signInToBothThenSignOut();

    const webFrame = new URL(iframeSources(page.text).find((src) => src.startsWith('http://localhost:3000/'))!);
    expect(Object.fromEntries(webFrame.searchParams)).to.deep.equal({ sid: String(web.idToken['sid']), iss: fixture.idp.issuer });
  });

  it('POSTs a signed logout_token to the back-channel logout URI and revokes the apps refresh tokens', async () => {
    fixture = await startDevProviderFixture({ clients: [webApp, OTHER_APP] });
    receiver.bodies.length = 0;
    const { web, other } = await signInToBothThenSignOut();

    expect(receiver.bodies).to.have.length(1);
    const logoutToken = receiver.bodies[0]!.get('logout_token')!;
    const keys = createRemoteJWKSet(new URL(fixture.discovery.jwks_uri), { [customFetch]: fetchTrustingCa(fixture.ca) });
    const { payload } = await jwtVerify(logoutToken, keys, { issuer: fixture.idp.issuer, audience: webApp.clientId, typ: 'logout+jwt' });
    expect(payload).to.include({ sub: alice.oid, sid: web.idToken['sid'] });
    expect(payload['events']).to.deep.equal({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload).not.to.have.property('nonce');
    expect(payload.jti).to.be.a('string');

    for (const [client, result] of [[webApp, web], [OTHER_APP, other]] as const) {
      const refresh = tokenRequest(fixture.ca, fixture.discovery, asTestClient(client), { grant_type: 'refresh_token', refresh_token: result.tokens.refresh_token!, scope: SCOPES });
      expect(String(await refresh.then(() => 'refreshed', (e: unknown) => e))).to.match(/400.*invalid_grant/);
    }
    const again = await signIn(fixture.browser, fixture.ca, fixture.discovery, asTestClient(webApp), { username: 'alice', scope: SCOPES });
    expect(again.pages[0], 'the provider session is gone').to.equal('login');
    expect(decodeJwt(again.tokens.id_token)['sid']).not.to.equal(web.idToken['sid']);
  });

  it('asks before signing out when the app gives no hint', async () => {
    fixture = await startDevProviderFixture({ clients: [webApp] });
    await signIn(fixture.browser, fixture.ca, fixture.discovery, asTestClient(webApp), { username: 'alice', scope: SCOPES });
    const page = await fixture.browser.get(`${fixture.discovery.end_session_endpoint}?client_id=${webApp.clientId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Alice Smith');
    expect(page.text).not.to.include('.submit()');
  });
});
