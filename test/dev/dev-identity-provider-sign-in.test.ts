import { expect } from 'chai';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { DEFAULT_TENANT_ID } from '../../src/dev/identity-provider/start-dev-identity-provider.ts';
import { consentForm } from '../../src/dev/identity-provider/interaction-pages.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { fetchTrustingCa, nodeHttpFetch } from '../../src/dev/node-http-fetch.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { firstForm, signIn, tokenRequest } from './support/sign-in.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';

const alice = demoUserByUsername('alice')!;
const client = asTestClient(WEB_APP);
const MSAL_SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';

describe('dev identity provider: authorization code flow', () => {
  let fixture: DevProviderFixture;
  let browser: ScriptedBrowser;

  before(async () => {
    fixture = await startDevProviderFixture();
  });
  after(() => fixture.stop());
  beforeEach(() => {
    browser = new ScriptedBrowser({ ca: fixture.ca });
  });
  afterEach(() => browser.close());

  it('signs alice in with PKCE and answers like Entra: client_info, id_token claims, JWT access token, refresh token', async () => {
    const { tokens, idToken, nonce, pages } = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: MSAL_SCOPES });

    expect(pages).to.deep.equal(['login', 'consent: openid profile api://demo-api/Profile.Read']);
    expect(JSON.parse(Buffer.from(tokens.client_info!, 'base64url').toString('utf8'))).to.deep.equal({ uid: alice.oid, utid: DEFAULT_TENANT_ID });

    const keys = createRemoteJWKSet(new URL(fixture.discovery.jwks_uri), { [customFetch]: fetchTrustingCa(fixture.ca) });
    await jwtVerify(tokens.id_token, keys, { issuer: fixture.idp.issuer, audience: client.clientId });
    expect(idToken).to.include({
      sub: alice.oid,
      oid: alice.oid,
      tid: DEFAULT_TENANT_ID,
      preferred_username: 'alice@contoso.dev',
      name: 'Alice Smith',
      login_hint: 'alice@contoso.dev',
      nonce,
    });
    expect(idToken['sid']).to.be.a('string').and.not.empty;

    const { payload: access, protectedHeader } = await jwtVerify(tokens.access_token, keys, { issuer: fixture.idp.issuer, audience: 'api://demo-api' });
    expect(protectedHeader.alg).to.equal('RS256');
    expect(access).to.include({ scp: 'Profile.Read', oid: alice.oid, tid: DEFAULT_TENANT_ID, azp: client.clientId });
    expect(access.exp! - access.iat!).to.equal(3600);
    expect(tokens.scope).to.equal('api://demo-api/Profile.Read');
    expect(tokens.refresh_token).to.be.a('string');
  });

  it('refreshes with the scopes MSAL sends, offline_access included, and keeps client_info', async () => {
    const { tokens } = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: MSAL_SCOPES });
    const refreshed = await tokenRequest(fixture.ca, fixture.discovery, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope: MSAL_SCOPES });

    expect(decodeJwt(refreshed.access_token)).to.include({ aud: 'api://demo-api', scp: 'Profile.Read', oid: alice.oid });
    expect(decodeJwt(refreshed.id_token)).to.include({ oid: alice.oid, sid: decodeJwt(tokens.id_token)['sid'] });
    expect(refreshed.client_info).to.equal(tokens.client_info);
  });

  it('asks consent only for a newly requested scope, and refuses it on refresh the way Entra does (consent_required)', async () => {
    const first = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: MSAL_SCOPES });

    const refusal = await nodeHttpFetch(fixture.discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token!, scope: 'api://demo-api/Profile.Write openid profile offline_access',
        client_id: client.clientId, client_secret: client.clientSecret,
      }),
    }, { ca: fixture.ca });
    expect(refusal.status).to.equal(400);
    expect(await refusal.json()).to.include({ error: 'invalid_grant', suberror: 'consent_required' });

    const second = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: 'api://demo-api/Profile.Write openid profile offline_access' });
    expect(second.pages).to.deep.equal(['consent: api://demo-api/Profile.Write']);
    expect(decodeJwt(second.tokens.access_token)['scp']).to.equal('Profile.Write');
  });

  it('grants every scope its consent page lists, as Entra does: the form names none, so none can be left out', async () => {
    const first = await signIn(browser, fixture.ca, fixture.discovery, client, {
      username: 'alice', scope: 'api://demo-api/Profile.Read api://demo-api/Profile.Write openid profile',
    });
    expect(first.pages).to.deep.equal(['login', 'consent: openid profile api://demo-api/Profile.Read api://demo-api/Profile.Write']);
    expect(String(decodeJwt(first.tokens.access_token)['scp']).split(' ').sort()).to.deep.equal(['Profile.Read', 'Profile.Write']);

    const again = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: 'api://demo-api/Profile.Read api://demo-api/Profile.Write openid profile' });
    expect(again.pages).to.deep.equal([]);
  });

  it('shows each scope once on its consent page, with no box to untick', () => {
    const page = consentForm('/i/1/consent', '/i/1/abort', 'app-a', ['openid', 'profile', 'api://demo-api/Profile.Read']);
    expect(page.match(/api:\/\/demo-api\/Profile\.Read/g)).to.have.length(1);
    expect(page).to.not.contain('<input');
    expect(page).to.contain('>Accept</button>').and.contain('>Cancel</button>');
  });

  it('lets the user pick another account with prompt=select_account, as Entra does', async () => {
    await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: 'openid profile' });
    const switched = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'bob', scope: 'openid profile', prompt: 'select_account' });
    // Like oidc-provider on any account switch, the dev provider first signs the previous account out everywhere.
    expect(switched.pages).to.deep.equal(['login', 'front-channel sign-out', 'consent: openid profile']);
    expect(switched.idToken['preferred_username']).to.equal('bob@contoso.dev');
  });

  it('names itself in every authorization response, errors included, as its discovery promises (RFC 9207)', async () => {
    expect(fixture.discovery.authorization_response_iss_parameter_supported).to.equal(true);
    const { callback } = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: MSAL_SCOPES });
    expect(callback.searchParams.get('iss')).to.equal(fixture.idp.issuer);
    const url = new URL(fixture.discovery.authorization_endpoint);
    url.search = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid', state: 's' }).toString();
    const refusal = new URL((await browser.get(url.href)).redirectUrl!);
    expect(refusal.searchParams.get('error')).to.equal('invalid_request');
    expect(refusal.searchParams.get('iss')).to.equal(fixture.idp.issuer);
  });

  it('refuses an authorization request without PKCE', async () => {
    const url = new URL(fixture.discovery.authorization_endpoint);
    url.search = new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid', state: 's' }).toString();
    const response = await browser.get(url.href);
    const callback = new URL(response.redirectUrl!);
    expect(callback.origin + callback.pathname).to.equal(client.redirectUri);
    expect(callback.searchParams.get('error')).to.equal('invalid_request');
    expect(callback.searchParams.get('error_description')).to.match(/PKCE/);
  });

  it("answers a finished sign-in's page (what a Back button finds behind it) without telling the user to sign in again", async () => {
    const visited: string[] = [];
    const get = browser.get.bind(browser);
    browser.get = (url, options) => (visited.push(url), get(url, options));
    await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: 'openid profile' });
    const signInPage = visited.find((url) => /\/login\/[\w-]+$/.test(new URL(url).pathname));
    expect(signInPage, `a sign-in page among ${visited.join(' ')}`).to.be.a('string');

    const again = await get(signInPage!);

    expect(again.status).to.equal(400);
    expect(again.text).to.contain('Sign-in page no longer valid').and.contain('has finished, or expired');
    expect(again.text).to.not.contain('sign in again.');
  });

  it('keeps the user on the login page after a wrong password', async () => {
    const error = await signIn(browser, fixture.ca, fixture.discovery, client, { username: 'alice', password: 'nope', scope: 'openid' }).then(() => undefined, (e: unknown) => e);
    expect(String(error)).to.match(/login failed: 401/);
  });

  it('escapes what it echoes into its pages', async () => {
    const url = new URL(fixture.discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: client.clientId, response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid', state: 's',
      code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', login_hint: '"><script>alert(1)</script>',
    }).toString();
    let response = await browser.get(url.href);
    while (response.redirectUrl) response = await browser.get(response.redirectUrl);
    expect(firstForm(response.text).action).to.match(/\/login$/);
    expect(response.text).to.include('value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    expect(response.text).not.to.include('<script>alert(1)');
    expect(response.headers.get('cache-control')).to.equal('no-store');
  });
});
