import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider, InteractionRequiredAuthError, LogLevel, ProtocolMode } from '@azure/msal-node';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { DEFAULT_TENANT_ID } from '../../src/dev/identity-provider/start-dev-identity-provider.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { msalNetworkClient } from './support/msal-network-client.ts';
import { driveAuthorization } from './support/sign-in.ts';

const alice = demoUserByUsername('alice')!;
const client = asTestClient(WEB_APP);

describe('dev identity provider: with msal-node as the client', () => {
  let fixture: DevProviderFixture;
  let msal: ConfidentialClientApplication;

  before(async () => {
    fixture = await startDevProviderFixture();
    msal = new ConfidentialClientApplication({
      auth: {
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        authority: fixture.idp.issuer,
        knownAuthorities: [new URL(fixture.idp.issuer).host],
        authorityMetadata: JSON.stringify(fixture.discovery),
      },
      system: { protocolMode: ProtocolMode.OIDC, networkClient: msalNetworkClient(fixture.ca), loggerOptions: { logLevel: LogLevel.Error } },
    });
  });
  after(() => fixture.stop());

  it('signs in with an Entra-style homeAccountId, refreshes silently, and reports missing consent as interaction required', async () => {
    const scopes = ['api://demo-api/Profile.Read'];
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const url = await msal.getAuthCodeUrl({ scopes, redirectUri: client.redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state, nonce, responseMode: 'query' });

    const { callback } = await driveAuthorization(fixture.browser, url, client.redirectUri, { username: 'alice' });
    const signedIn = await msal.acquireTokenByCode(
      // msal-node 7 takes the nonce it checks from the request, and compares only the returned state.
      { code: callback.searchParams.get('code')!, scopes, redirectUri: client.redirectUri, codeVerifier: verifier, state, nonce },
      { code: callback.searchParams.get('code')!, state: callback.searchParams.get('state')! },
    );
    expect(signedIn.account?.homeAccountId).to.equal(`${alice.oid}.${DEFAULT_TENANT_ID}`);
    expect(signedIn.account?.username).to.equal('alice@contoso.dev');
    expect(signedIn.idTokenClaims).to.have.property('sid');
    expect(signedIn.accessToken).to.be.a('string').and.not.empty;
    expect(signedIn.scopes).to.include('api://demo-api/Profile.Read');

    const refreshed = await msal.acquireTokenSilent({ account: signedIn.account!, scopes, forceRefresh: true });
    expect(refreshed.accessToken).to.be.a('string').and.not.equal(signedIn.accessToken);
    expect(refreshed.account?.homeAccountId).to.equal(signedIn.account?.homeAccountId);

    const more = await msal.acquireTokenSilent({ account: signedIn.account!, scopes: ['api://demo-api/Profile.Write'] }).then(() => undefined, (e: unknown) => e);
    expect(more).to.be.instanceOf(InteractionRequiredAuthError);
    expect((more as InteractionRequiredAuthError).subError).to.equal('consent_required');
  });
});
