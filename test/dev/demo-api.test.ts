import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, generateKeyPair, importJWK } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { startDemoApi } from '../../src/dev/demo-api/start-demo-api.ts';
import type { DemoApi } from '../../src/dev/demo-api/start-demo-api.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { signIn } from './support/sign-in.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';

const alice = demoUserByUsername('alice')!;

describe('demo API: GET /v1.0/me', () => {
  let fixture: DevProviderFixture;
  let api: DemoApi;
  let providerKey: JWK;

  before(async () => {
    fixture = await startDevProviderFixture();
    api = await startDemoApi({ port: 0, issuer: fixture.idp.issuer, jwksUri: fixture.discovery.jwks_uri, ca: fixture.ca });
    const jwks = JSON.parse(await readFile(path.join(fixture.dataDir, 'jwks.json'), 'utf8')) as { keys: JWK[] };
    providerKey = jwks.keys[0]!;
  });
  after(async () => {
    await api.close();
    await fixture.stop();
  });

  /** A token like the provider's, signed with its key (or `key`), with `changes` applied. */
  async function mint(changes: JWTPayload, key: { jwk: JWK } | { fresh: true } = { jwk: providerKey }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: fixture.idp.issuer, aud: 'api://demo-api', sub: alice.oid, oid: alice.oid, scp: 'Profile.Read', iat: now, exp: now + 600, ...changes };
    const signingKey = 'jwk' in key ? await importJWK(key.jwk, 'RS256') : (await generateKeyPair('RS256')).privateKey;
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: providerKey.kid! }).sign(signingKey);
  }

  function me(token?: string, query = ''): Promise<Response> {
    return fetch(`${api.url}/v1.0/me${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  }

  it('answers alice Graph-shaped profile for an access token from the dev provider', async () => {
    const browser = new ScriptedBrowser({ ca: fixture.ca });
    try {
      const { tokens } = await signIn(browser, fixture.ca, fixture.discovery, asTestClient(WEB_APP), { username: 'alice', scope: 'api://demo-api/Profile.Read openid profile offline_access' });
      const response = await me(tokens.access_token);
      expect(response.status).to.equal(200);
      expect(await response.json()).to.include({
        id: alice.oid,
        displayName: 'Alice Smith',
        userPrincipalName: 'alice@contoso.dev',
        mail: 'alice@contoso.dev',
        jobTitle: alice.jobTitle,
        officeLocation: alice.officeLocation,
        '@odata.context': `${api.url}/v1.0/$metadata#users/$entity`,
      });
    } finally {
      await browser.close();
    }
  });

  it('accepts the scope written in full (api://demo-api/Profile.Read) too', async () => {
    expect((await me(await mint({ scp: 'api://demo-api/Profile.Read' }))).status).to.equal(200);
  });

  it('asks for a token when there is none', async () => {
    const response = await me();
    expect(response.status).to.equal(401);
    expect(response.headers.get('www-authenticate')).to.equal('Bearer');
  });

  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['for another audience', () => mint({ aud: 'api://other-api' }), /aud/],
    ['expired', () => mint({ iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
    ['from another issuer', () => mint({ iss: 'https://evil.example/v2.0' }), /iss/],
    ['without exp (it would never expire)', () => mint({ exp: undefined }), /exp/],
    ['signed by another key under the provider kid', () => mint({}, { fresh: true }), /signature/],
    ['not a JWT', async () => 'not-a-jwt', /malformed/],
  ];
  for (const [what, token, description] of refusals) {
    it(`refuses a token ${what} with 401 invalid_token`, async () => {
      const response = await me(await token());
      expect(response.status).to.equal(401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      expect(challenge).to.match(/^Bearer error="invalid_token", error_description="[^"]+"$/);
      expect(challenge).to.match(description);
    });
  }

  it('takes HEAD as GET, and answers other methods 405 with Allow (RFC 9110 §15.5.6)', async () => {
    const token = await mint({});
    const head = await fetch(`${api.url}/v1.0/me`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect(head.status).to.equal(200);
    for (const method of ['POST', 'DELETE']) {
      const response = await fetch(`${api.url}/v1.0/me`, { method, headers: { authorization: `Bearer ${token}` } });
      expect(response.status, method).to.equal(405);
      expect(response.headers.get('allow'), method).to.equal('GET, HEAD');
    }
  });

  it('refuses a token without the required scope with 403 insufficient_scope', async () => {
    const response = await me(await mint({ scp: 'Profile.Write' }));
    expect(response.status).to.equal(403);
    expect(response.headers.get('www-authenticate')).to.match(/^Bearer error="insufficient_scope", scope="Profile.Read", error_description="[^"]+"$/);
  });

  it('sends a claims challenge when asked, once, and not to a token that already satisfies it', async () => {
    const token = await mint({});
    api.challengeNextRequest();
    const challenged = await me(token);
    expect(challenged.status).to.equal(401);
    const header = challenged.headers.get('www-authenticate') ?? '';
    expect(header).to.match(/error="insufficient_claims"/);
    const claims = /claims="([^"]+)"/.exec(header)?.[1] ?? '';
    expect(JSON.parse(Buffer.from(claims, 'base64').toString('utf8'))).to.deep.equal({ access_token: { acrs: { essential: true, value: 'c1' } } });
    expect((await me(token)).status).to.equal(200);

    expect((await me(token, '?demo=claims-challenge')).status).to.equal(401);
    expect((await me(await mint({ acrs: ['c1'] }), '?demo=claims-challenge')).status).to.equal(200);
  });

  it('answers 503, not invalid_token, when it cannot fetch the signing keys', async () => {
    const blind = await startDemoApi({ port: 0, issuer: fixture.idp.issuer, jwksUri: fixture.discovery.jwks_uri });
    try {
      const response = await fetch(`${blind.url}/v1.0/me`, { headers: { authorization: `Bearer ${await mint({})}` } });
      expect(response.status).to.equal(503);
      expect(response.headers.get('www-authenticate')).to.equal(null);
    } finally {
      await blind.close();
    }
  });
});
