import { expect } from 'chai';
import { get } from 'node:https';
import { DEFAULT_TENANT_ID } from '../../src/dev/identity-provider/start-dev-identity-provider.ts';
import { startDevProviderFixture } from './support/dev-provider-fixture.ts';
import type { DevProviderFixture } from './support/dev-provider-fixture.ts';

/** node:https with only the dev CA trusted: proves the certificate is a usable trust anchor. */
function httpsGetJson(url: string, ca?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    get(url, ca ? { ca } : {}, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
    }).on('error', reject);
  });
}

describe('dev identity provider: discovery', () => {
  let fixture: DevProviderFixture;

  before(async () => {
    fixture = await startDevProviderFixture();
  });
  after(() => fixture.stop());

  it('serves Entra v2 shaped metadata over HTTPS verified with the generated CA', async () => {
    const { origin } = new URL(fixture.idp.issuer);
    const tenant = `${origin}/${DEFAULT_TENANT_ID}`;
    expect(fixture.idp.issuer).to.equal(`${tenant}/v2.0`);
    expect(origin).to.match(/^https:\/\/localhost:\d+$/);

    const metadata = await httpsGetJson(`${fixture.idp.issuer}/.well-known/openid-configuration`, fixture.ca);
    expect(metadata).to.include({
      issuer: `${tenant}/v2.0`,
      authorization_endpoint: `${tenant}/oauth2/v2.0/authorize`,
      token_endpoint: `${tenant}/oauth2/v2.0/token`,
      end_session_endpoint: `${tenant}/oauth2/v2.0/logout`,
      jwks_uri: `${tenant}/discovery/v2.0/keys`,
      frontchannel_logout_supported: true,
    });
    expect(metadata['code_challenge_methods_supported']).to.deep.equal(['S256']);
  });

  it('is refused by a client that does not trust the generated CA', async () => {
    const error = await httpsGetJson(`${fixture.idp.issuer}/.well-known/openid-configuration`).then(() => undefined, (e: unknown) => e);
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.match(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('is also trusted for 127.0.0.1', async () => {
    const url = `${fixture.idp.issuer.replace('localhost', '127.0.0.1')}/.well-known/openid-configuration`;
    const metadata = await httpsGetJson(url, fixture.ca);
    expect(metadata['issuer']).to.equal(fixture.idp.issuer);
  });
});
