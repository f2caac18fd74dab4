import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider, LogLevel, ProtocolMode } from '@azure/msal-node';
import { CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { msalNetworkClient } from './support/msal-network-client.ts';
import { discoverAll } from './support/multi-tenant.ts';
import { driveAuthorization } from './support/sign-in.ts';
import type { Discovery } from './support/sign-in.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';

const client = asTestClient(WEB_APP);
const scopes = ['api://demo-api/Profile.Read'];
const CP1 = { access_token: { xms_cc: { values: ['cp1'] } } };

describe('dev identity provider: msal-node against the common authority', () => {
  let fixture: DevProviderFixture;
  let common: Discovery;

  before(async () => {
    fixture = await startDevProviderFixture();
    ({ common } = await discoverAll(fixture));
  });
  after(() => fixture.stop());

  /** A multi-tenant app as the web app configures it: common authority, its discovery document given, CAE declared. */
  function msalFor(): ConfidentialClientApplication {
    return new ConfidentialClientApplication({
      auth: {
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        authority: fixture.idp.commonAuthority,
        knownAuthorities: [new URL(fixture.idp.commonAuthority).host],
        authorityMetadata: JSON.stringify(common),
        clientCapabilities: ['cp1'],
      },
      system: { protocolMode: ProtocolMode.OIDC, networkClient: msalNetworkClient(fixture.ca), loggerOptions: { logLevel: LogLevel.Error } },
    });
  }

  const cases = [
    { username: 'alice', tenantId: CONTOSO_TENANT_ID, loginHint: undefined, how: 'on the common sign-in page' },
    { username: 'carol', tenantId: FABRIKAM_TENANT_ID, loginHint: 'carol@fabrikam.dev', how: 'with a login hint' },
  ];
  for (const { username, tenantId, loginHint, how } of cases) {
    it(`signs ${username} in ${how} with homeAccountId <oid>.<tid> of her tenant, refreshes, and declares cp1 on both endpoints`, async () => {
      const user = demoUserByUsername(username)!;
      const browser = new ScriptedBrowser({ ca: fixture.ca });
      try {
        const msal = msalFor();
        const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
        const state = randomBytes(16).toString('base64url');
        const nonce = randomBytes(16).toString('base64url');
        const url = await msal.getAuthCodeUrl({
          scopes, redirectUri: client.redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state, nonce, responseMode: 'query',
          ...(loginHint ? { loginHint } : {}),
        });
        expect(new URL(url).pathname).to.equal('/common/oauth2/v2.0/authorize');

        const { callback, pages } = await driveAuthorization(browser, url, client.redirectUri, { username });
        expect(pages[0]).to.equal(loginHint ? 'login' : 'common sign-in');
        const authorization = fixture.idp.requestedClaims.last('authorization');
        expect(authorization?.clientCapabilities).to.deep.equal(['cp1']);
        expect(JSON.parse(authorization?.claims ?? '{}')).to.deep.include(CP1);

        const code = callback.searchParams.get('code')!;
        const signedIn = await msal.acquireTokenByCode(
          { code, scopes, redirectUri: client.redirectUri, codeVerifier: verifier, state, nonce },
          { code, state: callback.searchParams.get('state')! },
        );
        expect(signedIn.account?.homeAccountId).to.equal(`${user.oid}.${tenantId}`);
        expect(signedIn.account?.tenantId).to.equal(tenantId);
        expect(signedIn.account?.username).to.equal(user.preferredUsername);
        expect(signedIn.idTokenClaims).to.include({ iss: `${new URL(fixture.idp.issuer).origin}/${tenantId}/v2.0`, tid: tenantId });
        expect(fixture.idp.requestedClaims.last('token')).to.include({ clientId: client.clientId }).and.have.deep.property('clientCapabilities', ['cp1']);

        const refreshed = await msal.acquireTokenSilent({ account: signedIn.account!, scopes, forceRefresh: true });
        expect(refreshed.accessToken).to.be.a('string').and.not.equal(signedIn.accessToken);
        expect(refreshed.account?.homeAccountId).to.equal(signedIn.account?.homeAccountId);
        expect(fixture.idp.requestedClaims.last('token')?.clientCapabilities).to.deep.equal(['cp1']);
      } finally {
        await browser.close();
      }
    });
  }
});
