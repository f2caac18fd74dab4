import { expect } from 'chai';
import { CONTOSO_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { nodeHttpFetch } from '../../src/dev/node-http-fetch.ts';
import { WEB_APP, asTestClient, startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';
import { discoverAll } from './support/multi-tenant.ts';
import { signIn, tokenRequest } from './support/sign-in.ts';
import type { Discovery } from './support/sign-in.ts';

const client = asTestClient(WEB_APP);
const SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';

/** Refreshes with `refreshToken`; the new refresh token, or the error text. */
async function refresh(fixture: DevProviderFixture, discovery: Discovery, refreshToken: string): Promise<{ refreshToken?: string; error?: string }> {
  try {
    const tokens = await tokenRequest(fixture.ca, discovery, client, { grant_type: 'refresh_token', refresh_token: refreshToken, scope: SCOPES });
    return { refreshToken: tokens.refresh_token! };
  } catch (error) {
    return { error: String(error) };
  }
}

describe('dev identity provider: refresh token options', () => {
  let fixture: DevProviderFixture;
  afterEach(() => fixture.stop());

  describe('by default, like Entra', () => {
    beforeEach(async () => {
      fixture = await startDevProviderFixture();
    });

    it('keeps the same refresh token across refreshes', async () => {
      const { tokens } = await signIn(fixture.browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: SCOPES });
      expect(await refresh(fixture, fixture.discovery, tokens.refresh_token!)).to.deep.equal({ refreshToken: tokens.refresh_token });
      expect(await refresh(fixture, fixture.discovery, tokens.refresh_token!)).to.deep.equal({ refreshToken: tokens.refresh_token });
    });

    it('advertises no revocation endpoint and serves none', async () => {
      const { common } = await discoverAll(fixture);
      expect(fixture.discovery).not.to.have.property('revocation_endpoint');
      expect(common).not.to.have.property('revocation_endpoint');
      const response = await nodeHttpFetch(`${new URL(fixture.idp.issuer).origin}/${CONTOSO_TENANT_ID}/oauth2/v2.0/revoke`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: 'x', client_id: client.clientId, client_secret: client.clientSecret }),
      }, { ca: fixture.ca });
      expect(response.status).to.equal(404);
    });
  });

  describe('rotateRefreshTokens: true', () => {
    beforeEach(async () => {
      fixture = await startDevProviderFixture({ rotateRefreshTokens: true });
    });

    it('returns a new refresh token on every refresh', async () => {
      const { tokens } = await signIn(fixture.browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: SCOPES });
      const second = await refresh(fixture, fixture.discovery, tokens.refresh_token!);
      expect(second.refreshToken).to.be.a('string').and.not.equal(tokens.refresh_token);
      const third = await refresh(fixture, fixture.discovery, second.refreshToken!);
      expect(third.refreshToken).to.be.a('string').and.not.equal(second.refreshToken);
    });

    it('treats reuse of a rotated refresh token as theft: it fails, and so does the newest one of its family', async () => {
      const { tokens } = await signIn(fixture.browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: SCOPES });
      const rotated = await refresh(fixture, fixture.discovery, tokens.refresh_token!);

      expect((await refresh(fixture, fixture.discovery, tokens.refresh_token!)).error).to.match(/400.*invalid_grant/);
      expect((await refresh(fixture, fixture.discovery, rotated.refreshToken!)).error).to.match(/400.*invalid_grant/);
    });

    it('rotates through the common authority too, for a user of the second tenant', async () => {
      const { common } = await discoverAll(fixture);
      const { tokens } = await signIn(fixture.browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES });
      const rotated = await refresh(fixture, common, tokens.refresh_token!);
      expect(rotated.refreshToken).to.be.a('string').and.not.equal(tokens.refresh_token);
      expect((await refresh(fixture, common, tokens.refresh_token!)).error).to.match(/400.*invalid_grant/);
      expect((await refresh(fixture, common, rotated.refreshToken!)).error).to.match(/400.*invalid_grant/);
    });
  });

  describe('revocation: true (RFC 7009)', () => {
    let common: Discovery;
    let tenants: Map<string, Discovery>;

    beforeEach(async () => {
      fixture = await startDevProviderFixture({ revocation: true });
      ({ common, tenants } = await discoverAll(fixture));
    });

    function revoke(endpoint: string, token: string): Promise<Response> {
      return nodeHttpFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret }),
      }, { ca: fixture.ca });
    }

    it('advertises an Entra-shaped revocation endpoint for each tenant and for common', () => {
      const origin = new URL(fixture.idp.issuer).origin;
      for (const [tenantId, discovery] of tenants) expect(discovery.revocation_endpoint).to.equal(`${origin}/${tenantId}/oauth2/v2.0/revoke`);
      expect(common.revocation_endpoint).to.equal(`${origin}/common/oauth2/v2.0/revoke`);
    });

    it('revokes a refresh token, which then fails with invalid_grant', async () => {
      const { tokens } = await signIn(fixture.browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: SCOPES });
      expect((await revoke(fixture.discovery.revocation_endpoint!, tokens.refresh_token!)).status).to.equal(200);
      expect((await refresh(fixture, fixture.discovery, tokens.refresh_token!)).error).to.match(/400.*invalid_grant/);
    });

    it('revokes through the common endpoint a refresh token of the second tenant, and answers 200 for an unknown token', async () => {
      const { tokens } = await signIn(fixture.browser, fixture.ca, common, client, { username: 'carol', scope: SCOPES });
      expect((await revoke(common.revocation_endpoint!, tokens.refresh_token!)).status).to.equal(200);
      expect((await refresh(fixture, common, tokens.refresh_token!)).error).to.match(/400.*invalid_grant/);
      expect((await revoke(common.revocation_endpoint!, 'not-a-token')).status).to.equal(200);
    });
  });
});
