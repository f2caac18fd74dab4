import { expect } from 'chai';
import nock from 'nock';
import { MAX_PROVIDER_ANSWER_BYTES } from '../../src/adapters/bounded-response-text.ts';
import { ProviderDiscovery } from '../../src/adapters/oidc/provider-discovery.ts';
import { IdentityProviderUnavailable } from '../../src/domain/errors.ts';
import { blockNetwork } from '../support/msal-harness.ts';

const AUTHORITY = 'https://idp.example/realms/demo';
const DISCOVERY = '/realms/demo/.well-known/openid-configuration';

/** A usable discovery document of AUTHORITY, with `changes` made to it. */
function documentWith(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: AUTHORITY,
    authorization_endpoint: `${AUTHORITY}/protocol/openid-connect/auth`,
    token_endpoint: `${AUTHORITY}/protocol/openid-connect/token`,
    jwks_uri: `${AUTHORITY}/protocol/openid-connect/certs`,
    end_session_endpoint: `${AUTHORITY}/protocol/openid-connect/logout`,
    revocation_endpoint: `${AUTHORITY}/protocol/openid-connect/revoke`,
    id_token_signing_alg_values_supported: ['RS256'],
    ...changes,
  };
}

const discovery = () => new ProviderDiscovery({ authority: AUTHORITY, allowedTenants: [], httpTimeoutMs: 2000 });
const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

/** What the app does with the provider's discovery document before it uses any of it. */
describe('provider discovery', () => {
  beforeEach(() => blockNetwork());
  afterEach(() => nock.cleanAll());

  it('uses a document whose endpoints are https, on other hosts too', async () => {
    nock('https://idp.example').get(DISCOVERY).reply(200, documentWith({ jwks_uri: 'https://keys.idp-cdn.example/certs' }));
    expect((await discovery().configuration()).jwks_uri).to.equal('https://keys.idp-cdn.example/certs');
  });

  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint']) {
    it(`does not use a document giving ${field} over http (Discovery 1.0 §3, RFC 7009 §2): the provider is unavailable`, async () => {
      nock('https://idp.example').get(DISCOVERY).reply(200, documentWith({ [field]: `http://idp.example/${field}` }));
      const failure = await failureOf(discovery().configuration());
      expect(failure).to.be.instanceOf(IdentityProviderUnavailable);
      expect(failure!.message).to.contain(`gives ${field} not as https:// URLs`);
    });
  }

  for (const field of ['end_session_endpoint', 'revocation_endpoint']) {
    for (const empty of [null, '']) {
      it(`reads ${field} given as ${JSON.stringify(empty)} as left out (that feature unsupported), not as a broken document`, async () => {
        nock('https://idp.example').get(DISCOVERY).reply(200, documentWith({ [field]: empty }));
        const configuration = await discovery().configuration();
        expect(configuration).to.not.have.property(field);
        expect(configuration.token_endpoint).to.equal(`${AUTHORITY}/protocol/openid-connect/token`);
      });
    }
  }

  it('still refuses a document giving a required endpoint as null or empty', async () => {
    nock('https://idp.example').get(DISCOVERY).reply(200, documentWith({ token_endpoint: null }));
    expect((await failureOf(discovery().configuration()))!.message).to.contain('has no token_endpoint');
    nock('https://idp.example').get(DISCOVERY).reply(200, documentWith({ jwks_uri: '' }));
    expect((await failureOf(discovery().configuration()))!.message).to.contain('gives jwks_uri not as https:// URLs');
  });

  it('does not use a document giving the signing algorithms as anything but a list of names', async () => {
    nock('https://idp.example').get(DISCOVERY).reply(200, documentWith({ id_token_signing_alg_values_supported: 'RS256' }));
    const failure = await failureOf(discovery().configuration());
    expect(failure).to.be.instanceOf(IdentityProviderUnavailable);
    expect(failure!.message).to.contain('id_token_signing_alg_values_supported');
  });

  it('does not follow a redirect off https', async () => {
    nock('https://idp.example').get(DISCOVERY).reply(302, '', { location: 'http://idp.example/plain' });
    const plain = nock('http://idp.example').get('/plain').reply(200, documentWith());
    const failure = await failureOf(discovery().configuration());
    expect(failure).to.be.instanceOf(IdentityProviderUnavailable);
    expect(failure!.message).to.contain('redirected off https');
    expect(plain.isDone(), 'nothing sent over http').to.equal(false);
  });

  it('is unavailable, not failing, when a redirect names no URL, or goes from https to http even on this machine', async () => {
    nock('https://idp.example').get(DISCOVERY).reply(302, '', { location: 'https://exa mple.com/' });
    const notUrl = await failureOf(discovery().configuration());
    expect(notUrl).to.be.instanceOf(IdentityProviderUnavailable);
    expect(notUrl!.message).to.contain('not a URL');
    nock('https://idp.example').get(DISCOVERY).reply(302, '', { location: 'http://localhost:1/discovery' });
    const local = await failureOf(discovery().configuration());
    expect(local).to.be.instanceOf(IdentityProviderUnavailable);
    expect(local!.message).to.contain('redirected off https');
  });

  it('follows a redirect that stays on https', async () => {
    nock('https://idp.example').get(DISCOVERY).reply(301, '', { location: 'https://idp-moved.example/discovery' });
    nock('https://idp-moved.example').get('/discovery').reply(200, documentWith());
    expect((await discovery().configuration()).issuer).to.equal(AUTHORITY);
  });

  it(`reads no more than ${MAX_PROVIDER_ANSWER_BYTES} bytes of a document`, async () => {
    nock('https://idp.example').get(DISCOVERY).reply(200, JSON.stringify(documentWith({ padding: 'x'.repeat(MAX_PROVIDER_ANSWER_BYTES) })));
    const failure = await failureOf(discovery().configuration());
    expect(failure).to.be.instanceOf(IdentityProviderUnavailable);
    expect(failure!.message).to.contain(`more than ${MAX_PROVIDER_ANSWER_BYTES} bytes`);
  });
});
