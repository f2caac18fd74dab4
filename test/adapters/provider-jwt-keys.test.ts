import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import nock from 'nock';
import { describeAuthority } from '../../src/adapters/oidc/authority.ts';
import { IssuerRule } from '../../src/adapters/oidc/issuer-rule.ts';
import { ProviderKeys } from '../../src/adapters/oidc/provider-keys.ts';
import { TokenRefused, verifyProviderJwt } from '../../src/adapters/oidc/provider-jwt.ts';
import type { OpenIdConfiguration } from '../../src/adapters/oidc/openid-configuration.ts';
import { blockNetwork } from '../support/msal-harness.ts';

const ISSUER = 'https://idp.example';
const CLIENT = 'client-1';

/** Keys that more than one of the provider's keys fit: each is tried, as jose leaves to its caller. */
describe('a provider JWT that several published keys fit', () => {
  const provider = {
    configuration: { issuer: ISSUER, authorization_endpoint: `${ISSUER}/a`, token_endpoint: `${ISSUER}/t`, jwks_uri: `${ISSUER}/keys`, id_token_signing_alg_values_supported: ['RS256'] } as OpenIdConfiguration,
    issuerRule: new IssuerRule(describeAuthority(ISSUER), ISSUER, []),
  };
  const checks = { clientId: CLIENT, clockSkewSeconds: 300, maxAgeSeconds: 600 };

  async function keyPair(kid?: string) {
    const pair = await generateKeyPair('RS256');
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), alg: 'RS256', use: 'sig', ...(kid ? { kid } : {}) };
    return { privateKey: pair.privateKey, jwk };
  }
  const tokenBy = (privateKey: CryptoKey, kid?: string) =>
    new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) }).setIssuer(ISSUER).setAudience(CLIENT).setIssuedAt().setExpirationTime('5m').sign(privateKey);
  const keysServing = (jwks: JWK[]) => {
    nock(ISSUER).persist().get('/keys').reply(200, { keys: jwks });
    return new ProviderKeys({ jwksUri: async () => `${ISSUER}/keys`, httpTimeoutMs: 1000 });
  };

  beforeEach(() => blockNetwork());
  afterEach(() => nock.cleanAll());

  it('accepts a token signed by the second of two keys sharing its kid', async () => {
    const [other, signer] = [await keyPair('k1'), await keyPair('k1')];
    const keys = keysServing([other.jwk, signer.jwk]);
    expect(await verifyProviderJwt(await tokenBy(signer.privateKey, 'k1'), provider, keys, checks)).to.include({ sub: 'alice' });
  });

  it('accepts a token without kid signed by one of several keys', async () => {
    const [other, signer] = [await keyPair(), await keyPair()];
    const keys = keysServing([other.jwk, signer.jwk]);
    expect(await verifyProviderJwt(await tokenBy(signer.privateKey), provider, keys, checks)).to.include({ sub: 'alice' });
  });

  it('refuses, as a bad signature, a token that none of the fitting keys signed', async () => {
    const [first, second, stranger] = [await keyPair('k1'), await keyPair('k1'), await keyPair('k1')];
    const keys = keysServing([first.jwk, second.jwk]);
    const refusal = await verifyProviderJwt(await tokenBy(stranger.privateKey, 'k1'), provider, keys, checks).catch((error: unknown) => error);
    expect(refusal).to.be.instanceOf(TokenRefused);
    expect((refusal as TokenRefused).rule).to.equal('signature');
  });
});
