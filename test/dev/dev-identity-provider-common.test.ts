import { expect } from 'chai';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { fetchTrustingCa, nodeHttpFetch } from '../../src/dev/node-http-fetch.ts';
import { startDemoApi } from '../../src/dev/demo-api/start-demo-api.ts';
import { CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { decodeClientInfo, discoverAll } from './support/multi-tenant.ts';
import { signIn, tokenRequest } from './support/sign-in.ts';
import type { Discovery } from './support/sign-in.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';

const alice = demoUserByUsername('alice')!;
const carol = demoUserByUsername('carol')!;
const client = asTestClient(WEB_APP);
const SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';

describe('dev identity provider: two tenants and the common authority', () => {
  let fixture: DevProviderFixture;
  let common: Discovery;
  let tenants: Map<string, Discovery>;
  let browser: ScriptedBrowser;
  let origin: string;
  const issuerOf = (tenantId: string) => `${origin}/${tenantId}/v2.0`;

  before(async () => {
    fixture = await startDevProviderFixture();
    ({ common, tenants } = await discoverAll(fixture));
    origin = new URL(fixture.idp.issuer).origin;
  });
  after(() => fixture.stop());
  beforeEach(() => {
    browser = new ScriptedBrowser({ ca: fixture.ca });
  });
  afterEach(() => browser.close());

  it('describes each tenant, its issuer and its users, and the common authority', () => {
    expect(fixture.idp.commonAuthority).to.equal(`${origin}/common/v2.0`);
    expect(fixture.idp.tenants).to.deep.equal([
      { tenantId: CONTOSO_TENANT_ID, displayName: 'Contoso', issuer: issuerOf(CONTOSO_TENANT_ID), jwksUri: `${origin}/${CONTOSO_TENANT_ID}/discovery/v2.0/keys`, usernames: ['alice', 'bob'] },
      { tenantId: FABRIKAM_TENANT_ID, displayName: 'Fabrikam', issuer: issuerOf(FABRIKAM_TENANT_ID), jwksUri: `${origin}/${FABRIKAM_TENANT_ID}/discovery/v2.0/keys`, usernames: ['carol'] },
    ]);
    expect(fixture.idp.issuer).to.equal(issuerOf(CONTOSO_TENANT_ID));
  });

  it('publishes the templated issuer and common endpoints in the common discovery document, like Entra', () => {
    expect(common).to.include({
      issuer: `${origin}/{tenantid}/v2.0`,
      authorization_endpoint: `${origin}/common/oauth2/v2.0/authorize`,
      token_endpoint: `${origin}/common/oauth2/v2.0/token`,
      end_session_endpoint: `${origin}/common/oauth2/v2.0/logout`,
      jwks_uri: `${origin}/common/discovery/v2.0/keys`,
    });
    expect(common).not.to.have.property('revocation_endpoint');
  });

  it('serves each tenant single-tenant discovery with its own issuer and endpoints', () => {
    for (const tenantId of [CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID]) {
      expect(tenants.get(tenantId)).to.include({
        issuer: issuerOf(tenantId),
        authorization_endpoint: `${origin}/${tenantId}/oauth2/v2.0/authorize`,
        token_endpoint: `${origin}/${tenantId}/oauth2/v2.0/token`,
        end_session_endpoint: `${origin}/${tenantId}/oauth2/v2.0/logout`,
        jwks_uri: `${origin}/${tenantId}/discovery/v2.0/keys`,
      });
    }
  });

  it('publishes the same signing keys for every tenant and for common', async () => {
    const kids = async (url: string) => ((await (await nodeHttpFetch(url, {}, { ca: fixture.ca })).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    const expected = await kids(tenants.get(CONTOSO_TENANT_ID)!.jwks_uri);
    expect(expected).to.have.length(1);
    expect(await kids(tenants.get(FABRIKAM_TENANT_ID)!.jwks_uri)).to.deep.equal(expected);
    expect(await kids(common.jwks_uri)).to.deep.equal(expected);
  });

  it('refuses an app it does not know, or a redirect_uri not registered, before asking for a password', async () => {
    const authorize = (params: Record<string, string>) => browser.get(`${common.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', scope: 'openid', ...params })}`);
    const unknownApp = await authorize({ client_id: 'nope', redirect_uri: client.redirectUri });
    const foreignRedirect = await authorize({ client_id: client.clientId, redirect_uri: 'http://evil.example/cb' });
    const bare = await browser.get(common.authorization_endpoint);
    for (const page of [unknownApp, foreignRedirect, bare]) {
      expect(page.status).to.equal(400);
      expect(page.text).to.not.contain('name="password"');
    }
    const known = await authorize({ client_id: client.clientId, redirect_uri: client.redirectUri });
    expect(known.text, 'a registered app still gets the sign-in page').to.contain('name="password"');
  });

  it('signs carol in through common with one sign-in page, and issues tokens from her own tenant', async () => {
    const { tokens, idToken, pages } = await signIn(browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES });

    expect(pages).to.deep.equal(['common sign-in', 'consent: openid profile api://demo-api/Profile.Read']);
    const keys = createRemoteJWKSet(new URL(common.jwks_uri), { [customFetch]: fetchTrustingCa(fixture.ca) });
    await jwtVerify(tokens.id_token, keys, { issuer: issuerOf(FABRIKAM_TENANT_ID), audience: client.clientId });
    expect(idToken).to.include({ oid: carol.oid, tid: FABRIKAM_TENANT_ID, preferred_username: 'carol@fabrikam.dev' });
    expect(decodeClientInfo(tokens.client_info)).to.deep.equal({ uid: carol.oid, utid: FABRIKAM_TENANT_ID });
    const { payload: access } = await jwtVerify(tokens.access_token, keys, { issuer: issuerOf(FABRIKAM_TENANT_ID), audience: 'api://demo-api' });
    expect(access).to.include({ oid: carol.oid, tid: FABRIKAM_TENANT_ID, scp: 'Profile.Read' });

    const refreshed = await tokenRequest(fixture.ca, common, client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope: SCOPES });
    expect(decodeJwt(refreshed.access_token)).to.include({ iss: issuerOf(FABRIKAM_TENANT_ID), oid: carol.oid });
    expect(decodeJwt(refreshed.id_token)).to.include({ iss: issuerOf(FABRIKAM_TENANT_ID), sid: idToken['sid'] });
    expect(refreshed.client_info).to.equal(tokens.client_info);
  });

  it('sends a login_hint straight to the user tenant login page, and keeps alice in Contoso', async () => {
    const { tokens, idToken, pages } = await signIn(browser, fixture.ca, common, client, { username: 'alice', scope: SCOPES, params: { login_hint: 'alice@contoso.dev' } });

    expect(pages[0]).to.equal('login');
    expect(idToken).to.include({ iss: issuerOf(CONTOSO_TENANT_ID), tid: CONTOSO_TENANT_ID, oid: alice.oid });
    expect(decodeClientInfo(tokens.client_info)).to.deep.equal({ uid: alice.oid, utid: CONTOSO_TENANT_ID });
  });

  it('signs a user in again without a page when the browser has a session in one tenant', async () => {
    await signIn(browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES });
    const again = await signIn(browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES });
    expect(again.pages).to.deep.equal([]);
    expect(again.idToken['tid']).to.equal(FABRIKAM_TENANT_ID);
  });

  it('shows the common sign-in page again for prompt=select_account, and switches tenant for the account picked', async () => {
    await signIn(browser, fixture.ca, common, client, { username: 'alice', scope: SCOPES });
    const switched = await signIn(browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES, prompt: 'select_account' });
    expect(switched.pages[0]).to.equal('common sign-in');
    expect(switched.idToken).to.include({ tid: FABRIKAM_TENANT_ID, oid: carol.oid });
    // Alice's Contoso session is untouched: a browser can be signed in to both tenants.
    const aliceAgain = await signIn(browser, fixture.ca, common, client, { username: 'alice', scope: SCOPES, params: { login_hint: 'alice' } });
    expect(aliceAgain.pages).to.deep.equal([]);
  });

  it('switches to another user of the same tenant picked on the common sign-in page', async () => {
    await signIn(browser, fixture.ca, common, client, { username: 'alice', scope: SCOPES });
    const switched = await signIn(browser, fixture.ca, common, client, { username: 'bob', scope: SCOPES, prompt: 'select_account' });
    expect(switched.pages).to.deep.equal(['common sign-in', 'front-channel sign-out', 'consent: openid profile api://demo-api/Profile.Read']);
    expect(switched.idToken).to.include({ tid: CONTOSO_TENANT_ID, preferred_username: 'bob@contoso.dev' });
  });

  it('asks for the password again with prompt=login, once, on the common sign-in page', async () => {
    await signIn(browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES });
    const forced = await signIn(browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES, prompt: 'login' });
    expect(forced.pages).to.deep.equal(['common sign-in']);
  });

  it('refuses a wrong password on the common sign-in page', async () => {
    const error = await signIn(browser, fixture.ca, common, client, { username: 'carol', password: 'nope', scope: SCOPES }).then(() => undefined, (e: unknown) => e);
    expect(String(error)).to.match(/login failed: 401/);
  });

  it('refuses carol on the Contoso tenant login page', async () => {
    const error = await signIn(browser, fixture.ca, tenants.get(CONTOSO_TENANT_ID)!, client, { username: 'carol', scope: SCOPES }).then(() => undefined, (e: unknown) => e);
    expect(String(error)).to.match(/login failed: 401/);
  });

  it('signs carol in through her own tenant authority, as a single-tenant app would', async () => {
    const { idToken, pages } = await signIn(browser, fixture.ca, tenants.get(FABRIKAM_TENANT_ID)!, client, { username: 'carol', scope: SCOPES });
    expect(pages[0]).to.equal('login');
    expect(idToken).to.include({ iss: issuerOf(FABRIKAM_TENANT_ID), tid: FABRIKAM_TENANT_ID });
  });

  it('answers prompt=none without a session with login_required at the redirect URI', async () => {
    const url = new URL(common.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: client.clientId, response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid', state: 's', prompt: 'none',
      code_challenge: 'x'.repeat(43), code_challenge_method: 'S256',
    }).toString();
    const response = await browser.get(url.href);
    const callback = new URL(response.redirectUrl!);
    expect(callback.origin + callback.pathname).to.equal(client.redirectUri);
    expect(callback.searchParams.get('error')).to.equal('login_required');
  });

  it('answers an unknown code at the common token endpoint with invalid_grant', async () => {
    const refused = await tokenRequest(fixture.ca, common, client, { grant_type: 'authorization_code', code: 'nope', redirect_uri: client.redirectUri, code_verifier: 'x'.repeat(43) })
      .then(() => 'issued', (e: unknown) => String(e));
    expect(refused).to.match(/400.*invalid_grant/);
  });

  it('answers the one userinfo endpoint from the tenant that issued the token', async () => {
    for (const [username, tenantId] of [['alice', CONTOSO_TENANT_ID], ['carol', FABRIKAM_TENANT_ID]] as const) {
      const signInBrowser = new ScriptedBrowser({ ca: fixture.ca });
      const { tokens } = await signIn(signInBrowser, fixture.ca, common, client, { username, scope: 'openid profile' }).finally(() => signInBrowser.close());
      const response = await nodeHttpFetch(`${origin}/oidc/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }, { ca: fixture.ca });
      expect(response.status, username).to.equal(200);
      expect(await response.json()).to.include({ sub: demoUserByUsername(username)!.oid, tid: tenantId });
    }
  });

  it('has the demo API accept access tokens of both tenants and describe carol', async () => {
    const api = await startDemoApi({ port: 0, issuer: fixture.idp.tenants.map((tenant) => tenant.issuer), jwksUri: fixture.idp.jwksUri, ca: fixture.ca });
    try {
      for (const username of ['alice', 'carol']) {
        const signInBrowser = new ScriptedBrowser({ ca: fixture.ca });
        const { tokens } = await signIn(signInBrowser, fixture.ca, common, client, { username, scope: SCOPES }).finally(() => signInBrowser.close());
        const response = await fetch(`${api.url}/v1.0/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        expect(response.status, username).to.equal(200);
        expect(await response.json()).to.include({ id: demoUserByUsername(username)!.oid, userPrincipalName: demoUserByUsername(username)!.preferredUsername });
      }
    } finally {
      await api.close();
    }
  });
});
