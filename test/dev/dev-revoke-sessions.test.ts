import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { nodeHttpFetch } from '../../src/dev/node-http-fetch.ts';
import { FABRIKAM_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { startDevServers } from '../../src/dev/start-dev-servers.ts';
import type { DevServers } from '../../src/dev/start-dev-servers.ts';
import { WEB_APP, asTestClient } from './support/dev-provider-fixture.ts';
import { discover, signIn, tokenRequest } from './support/sign-in.ts';
import type { Discovery, SignInResult } from './support/sign-in.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';

const client = asTestClient(WEB_APP);
const SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';

describe('dev identity provider: revoke a user\'s sessions (Entra "Revoke sessions")', () => {
  let dataDir: string;
  let servers: DevServers;
  let ca: string;
  let common: Discovery;
  const browsers: ScriptedBrowser[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'dev-revoke-'));
    servers = await startDevServers({ port: 0, demoApiPort: 0, dataDir, clients: [WEB_APP] });
    ca = await readFile(servers.identityProvider.caCertPath, 'utf8');
    common = await discover(ca, servers.identityProvider.commonAuthority);
  });
  after(async () => {
    await Promise.all(browsers.map((browser) => browser.close()));
    await servers.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function newBrowser(): ScriptedBrowser {
    const browser = new ScriptedBrowser({ ca });
    browsers.push(browser);
    return browser;
  }

  const signInAs = (browser: ScriptedBrowser, username: string) => signIn(browser, ca, common, client, { username, scope: SCOPES });
  const refresh = (result: SignInResult) =>
    tokenRequest(ca, common, client, { grant_type: 'refresh_token', refresh_token: result.tokens.refresh_token!, scope: SCOPES })
      .then(() => 'refreshed', (error: unknown) => String(error));
  const me = (accessToken: string) => fetch(`${servers.demoApi.url}/v1.0/me`, { headers: { authorization: `Bearer ${accessToken}` } });

  /** The operator's script asking for JSON: a plain HTTPS call trusting the dev CA, not a browser. */
  function revokeOverHttp(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL('/dev/admin/revoke-sessions', servers.identityProvider.issuer);
    const init = { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) };
    return nodeHttpFetch(url, init, { ca });
  }

  it('makes the user\'s refresh tokens fail with invalid_grant, and leaves other users\' alone', async () => {
    const [aliceBrowser, bobBrowser] = [newBrowser(), newBrowser()];
    const alice = await signInAs(aliceBrowser, 'alice');
    const bob = await signInAs(bobBrowser, 'bob');

    const revocation = await servers.identityProvider.revokeUserSessions('alice');

    expect(revocation).to.include({ username: 'alice', oid: demoUserByUsername('alice')!.oid, sessions: 1, grants: 1 });
    expect(revocation, 'no refresh token value in what it reports').to.not.have.property('refreshTokens');
    const refused = await refresh(alice);
    expect(refused, "as Entra answers a revoked grant: AADSTS50173, which the app takes for the user's sessions revoked").to.match(/400.*invalid_grant.*AADSTS50173/);
    expect(refused).to.match(/"error_codes":\[50173\]/);
    expect(await refresh(bob)).to.equal('refreshed');
  });

  it('ends the user\'s provider sessions: the next sign-in asks for the password', async () => {
    const browser = newBrowser();
    await signInAs(browser, 'alice');
    expect((await signInAs(browser, 'alice')).pages, 'single sign-on before').to.deep.equal([]);

    await servers.identityProvider.revokeUserSessions('alice');

    expect((await signInAs(browser, 'alice')).pages[0]).to.equal('common sign-in');
  });

  it('has the demo API answer older access tokens with the CAE revocation challenge, and accept tokens issued after', async () => {
    const browser = newBrowser();
    const before = await signInAs(browser, 'alice');
    const bob = await signInAs(newBrowser(), 'bob');
    expect((await me(before.tokens.access_token)).status).to.equal(200);

    const { notBefore } = await servers.identityProvider.revokeUserSessions('alice');

    expect(Date.now(), 'resolves once the revocation second has begun').to.be.at.least(notBefore * 1000);
    const challenged = await me(before.tokens.access_token);
    expect(challenged.status).to.equal(401);
    const header = challenged.headers.get('www-authenticate') ?? '';
    const claims = /^Bearer realm="", error="insufficient_claims", claims="([^"]+)"$/.exec(header)?.[1];
    expect(claims, header).to.be.a('string');
    expect(JSON.parse(Buffer.from(claims!, 'base64').toString('utf8'))).to.deep.equal({ access_token: { nbf: { essential: true, value: String(notBefore) } } });
    expect((await me(bob.tokens.access_token)).status, 'other users are not affected').to.equal(200);

    const after = await signInAs(browser, 'alice');
    expect(decodeJwt(after.tokens.access_token).iat).to.be.at.least(notBefore);
    expect((await me(after.tokens.access_token)).status).to.equal(200);
  });

  it('revokes over loopback HTTP (POST /dev/admin/revoke-sessions, user=<name>), for a user of the second tenant too', async () => {
    const browser = newBrowser();
    const carol = await signInAs(browser, 'carol');

    const response = await revokeOverHttp({ user: 'carol@fabrikam.dev' });

    expect(response.status).to.equal(200);
    expect(await response.json()).to.include({ username: 'carol', tenantId: FABRIKAM_TENANT_ID, sessions: 1, grants: 1 });
    expect(await refresh(carol)).to.match(/400.*invalid_grant/);
    expect((await me(carol.tokens.access_token)).status).to.equal(401);
  });

  it('answers 404 for an unknown user, refuses a cross-origin form post, and shows a form to people', async () => {
    expect((await revokeOverHttp({ user: 'mallory' })).status).to.equal(404);
    expect((await revokeOverHttp({ user: 'alice' }, { origin: 'https://evil.example' })).status).to.equal(403);
    const page = await newBrowser().get(new URL('/dev/admin/revoke-sessions', servers.identityProvider.issuer).href);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('<form method="post" action="/dev/admin/revoke-sessions">').and.include('value="carol"');
    // As every page of the provider: an empty icon, or a browser asks for /favicon.ico and logs its 404.
    expect(page.text).to.include('<link rel="icon" href="data:,">');
  });
});
