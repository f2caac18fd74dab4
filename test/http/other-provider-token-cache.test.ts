import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import nock from 'nock';
import type { FakeEntra } from '../support/fake-entra.ts';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { blockNetwork } from '../support/msal-harness.ts';

/**
 * Providers other than Entra may name no tenant in their ID tokens (none of `tid`, `tfp`, `acr`: Okta's),
 * and their issuers have paths of any depth. MSAL stores such an access token under the authority's
 * first path segment and looks it up under its last (partition-view.ts): with a path such as
 * Keycloak's `/realms/<realm>` or Okta's `/oauth2/<server>` the token it had just stored was never
 * found, and every page refreshed at the provider.
 */
const SHAPES = [
  { name: 'Keycloak (/realms/<realm>)', path: '/realms/demo' },
  { name: 'Okta (/oauth2/<server>)', path: '/oauth2/default' },
  { name: 'one path segment', path: '/tenant' },
  { name: 'no path (Auth0)', path: '' },
];

for (const shape of SHAPES) {
  describe(`another OpenID Connect provider, ${shape.name}: the tokens it issued are used from the cache`, () => {
    const host = 'https://idp.example.com';
    const authority = `${host}${shape.path}`;
    const clientId = 'my-client';
    let app: TestApp;
    let grants: string[];
    /** What the token endpoint says it granted (RFC 6749 §3.3: it may grant fewer than asked). */
    let grantedScope: string;
    /** The nonce each code was issued for (the provider's memory of the authorization request). */
    const nonceOfCode = new Map<string, string>();

    beforeEach(async () => {
      blockNetwork();
      grants = [];
      grantedScope = 'openid profile offline_access api';
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      nock(host).persist().get(`${shape.path}/.well-known/openid-configuration`).reply(200, {
        issuer: authority,
        authorization_endpoint: `${authority}/auth`,
        token_endpoint: `${authority}/token`,
        jwks_uri: `${authority}/certs`,
        id_token_signing_alg_values_supported: ['ES256'],
      });
      nock(host).persist().get(`${shape.path}/certs`).reply(200, { keys: [jwk] });
      nock(host)
        .persist()
        .post(`${shape.path}/token`)
        .query(true)
        // nock 15 hands a reply function of one parameter the request itself (a fetch Request).
        .reply(async (request: unknown) => {
          const form = new URLSearchParams(await (request as Request).text());
          grants.push(form.get('grant_type')!);
          const now = Math.floor(Date.now() / 1000);
          const nonce = form.get('grant_type') === 'authorization_code' ? nonceOfCode.get(form.get('code')!) : undefined;
          const idToken = await new SignJWT({ iss: authority, aud: clientId, sub: 'user-1', iat: now, exp: now + 300, sid: 'session-1', ...(nonce ? { nonce } : {}) })
            .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
            .sign(privateKey);
          return [200, { access_token: `at.${grants.length}`, token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', id_token: idToken, scope: grantedScope }];
        });
      // Answers only the access token the code redeemed: a page served with another one is a 502.
      nock('https://api.example.com', { reqheaders: { authorization: 'Bearer at.1' } })
        .persist()
        .get('/me')
        .reply(200, { id: 'user-1', displayName: 'Alice' });
      app = await startTestApp({ authority, clientId } as FakeEntra, { API_URL: 'https://api.example.com/me', API_SCOPES: 'api' });
    });
    afterEach(async () => {
      await app.close();
      nock.cleanAll();
    });

    it('serves every page with the access token of the sign-in, with no refresh at the provider', async () => {
      const browser = app.browser();
      const start = await browser.get('/auth/signin');
      const request = new URL(start.location!).searchParams;
      nonceOfCode.set('the-code', request.get('nonce')!);
      expect((await browser.get(`/auth/redirect?code=the-code&state=${request.get('state')}`)).status).to.equal(302);

      for (let page = 0; page < 3; page++) {
        const profile = await browser.get('/profile');
        expect(profile.status, 'the API called with the token from the code').to.equal(200);
        expect(profile.text).to.contain('Alice');
      }
      expect(grants).to.deep.equal(['authorization_code']);
      const warned = app.logs.filter((line) => line.includes('"level":"warn"'));
      expect(warned, "MSAL's warning of no client_info, Entra's own field, is no warning here").to.deep.equal([]);
    });

    if (shape !== SHAPES[0]) return;

    const warnings = (start: string) =>
      app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'warn' && String(line.message).startsWith(start));

    it('warns once, naming what is missing, when the provider grants fewer scopes than API_SCOPES asks: every page then refreshes', async () => {
      grantedScope = 'openid profile offline_access';
      const browser = app.browser();
      const start = await browser.get('/auth/signin');
      const request = new URL(start.location!).searchParams;
      nonceOfCode.set('the-code', request.get('nonce')!);
      await browser.get(`/auth/redirect?code=the-code&state=${request.get('state')}`);

      for (let page = 0; page < 3; page++) await browser.get('/profile');

      expect(grants.filter((grant) => grant === 'refresh_token').length, 'a refresh for each page').to.equal(3);
      const warned = warnings('the provider granted other scopes than API_SCOPES asks');
      expect(warned.map((line) => line.missing)).to.deep.equal([['api']]);
    });

    it('warns at start when API_SCOPES names only OpenID Connect scopes (no access token is ever served from the cache)', async () => {
      await app.close();
      app = await startTestApp({ authority, clientId } as FakeEntra, { API_URL: 'https://api.example.com/me', API_SCOPES: 'openid email' });
      expect(warnings('API_SCOPES names only OpenID Connect scopes').map((line) => line.apiScopes)).to.deep.equal([['openid', 'email']]);
    });
  });
}
