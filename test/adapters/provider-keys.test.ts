import { expect } from 'chai';
import { errors, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import nock from 'nock';
import { ProviderKeys } from '../../src/adapters/oidc/provider-keys.ts';
import { IdentityProviderUnavailable } from '../../src/domain/errors.ts';
import { blockNetwork } from '../support/msal-harness.ts';

/**
 * The provider's signing keys: a JWKS outage is the provider's problem (503, retried), never an
 * invalid token, and a short one does not stop verification, because the last good keys are kept.
 */
describe('ProviderKeys', () => {
  const JWKS = 'https://idp.example/keys';
  let time: number;
  let jwks: { status: number; keys: JWK[] };
  let fetches: number;
  let keys: ProviderKeys;
  let signer: Awaited<ReturnType<typeof newKey>>;

  async function newKey(kid: string) {
    const pair = await generateKeyPair('RS256');
    return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
  }

  const headerOf = (kid: string) => ({ alg: 'RS256', kid });
  const tokenOf = async (kid: string) => new SignJWT({}).setProtectedHeader(headerOf(kid)).sign(signer.privateKey);
  const resolve = async (kid: string) => keys.resolve(headerOf(kid), { payload: '', signature: '' } as never);

  beforeEach(async () => {
    blockNetwork();
    time = Date.UTC(2030, 0, 1);
    signer = await newKey('k1');
    jwks = { status: 200, keys: [signer.jwk] };
    fetches = 0;
    nock('https://idp.example')
      .persist()
      .get('/keys')
      .reply(() => {
        fetches++;
        return jwks.status === 200 ? [200, { keys: jwks.keys }] : [jwks.status, 'down'];
      });
    keys = new ProviderKeys({ jwksUri: async () => JWKS, httpTimeoutMs: 1000, now: () => time });
  });
  afterEach(() => nock.cleanAll());

  it('fetches the keys once and answers from them', async () => {
    await tokenOf('k1');
    expect(await resolve('k1')).to.not.equal(undefined);
    expect(await resolve('k1')).to.not.equal(undefined);
    expect(fetches).to.equal(1);
  });

  it('answers IdentityProviderUnavailable, not an invalid token, when no keys were ever fetched', async () => {
    jwks.status = 503;
    const error = await resolve('k1').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IdentityProviderUnavailable);
  });

  it('answers IdentityProviderUnavailable when the JWKS answer is not JSON', async () => {
    nock.cleanAll();
    nock('https://idp.example').get('/keys').reply(200, '<html>', { 'content-type': 'text/html' });
    expect(await resolve('k1').catch((e: unknown) => e)).to.be.instanceOf(IdentityProviderUnavailable);
  });

  it('answers IdentityProviderUnavailable, not a malformed token, when the key set holds something that is not a key', async () => {
    jwks.keys = [null as unknown as JWK, signer.jwk];
    const failure = await resolve('k1').then(() => undefined, (error: unknown) => error);
    expect(failure).to.be.instanceOf(IdentityProviderUnavailable);
  });

  it('keeps using the last good keys while the provider is down, for a bounded time', async () => {
    await resolve('k1');
    jwks.status = 503;
    time += 11 * 60_000; // due for a refresh, which fails
    expect(await resolve('k1'), 'last good keys').to.not.equal(undefined);
    time += 23 * 3600_000; // still within a day of the last good fetch
    expect(await resolve('k1')).to.not.equal(undefined);
    time += 3600_000; // past a day: too old to trust
    expect(await resolve('k1').catch((e: unknown) => e)).to.be.instanceOf(IdentityProviderUnavailable);
  });

  it('does not hammer a provider that is down: one fetch per 30 s while serving the last good keys', async () => {
    await resolve('k1');
    jwks.status = 503;
    time += 11 * 60_000;
    for (let i = 0; i < 5; i++) await resolve('k1');
    expect(fetches).to.equal(2);
    time += 31_000;
    await resolve('k1');
    expect(fetches).to.equal(3);
  });

  it('fetches again for a key id it has not seen, even right after a fetch (the provider rotated its keys)', async () => {
    await resolve('k1');
    const rotated = await newKey('k2');
    jwks.keys = [signer.jwk, rotated.jwk];
    time += 1_000;
    expect(await resolve('k2')).to.not.equal(undefined);
    expect(fetches).to.equal(2);
    expect(await resolve('k2')).to.not.equal(undefined);
    expect(fetches, 'now in the set').to.equal(2);
  });

  it('refuses a key id the provider does not publish, and looks for it once per 30 s', async () => {
    await resolve('k1');
    for (let i = 0; i < 3; i++) expect(await resolve('forged').catch((e: unknown) => e)).to.be.instanceOf(errors.JWKSNoMatchingKey);
    expect(fetches, 'one look for it').to.equal(2);
    time += 31_000;
    await resolve('forged').catch(() => undefined);
    expect(fetches).to.equal(3);
  });

  it('fetches for at most five unseen key ids per 30 s: invented ones cannot make it hammer the provider', async () => {
    await resolve('k1');
    for (let i = 0; i < 5; i++) expect(await resolve(`invented-${i}`).catch((e: unknown) => e)).to.be.instanceOf(errors.JWKSNoMatchingKey);
    // Past the budget a key cannot be looked for: not known to be forged, so not refused as such
    // (a genuine key just rotated in must not get a refusal the provider never retries).
    for (let i = 5; i < 20; i++) expect(await resolve(`invented-${i}`).catch((e: unknown) => e)).to.be.instanceOf(IdentityProviderUnavailable);
    expect(fetches).to.equal(1 + 5);
    time += 31_000;
    const rotated = await newKey('k2');
    jwks.keys = [signer.jwk, rotated.jwk];
    expect(await resolve('k2'), 'a genuine new key afterwards').to.not.equal(undefined);
  });

  it('answers IdentityProviderUnavailable for an unseen key id while the provider is down, never an invalid token', async () => {
    await resolve('k1');
    jwks.status = 503;
    time += 1_000;
    expect(await resolve('k2').catch((e: unknown) => e)).to.be.instanceOf(IdentityProviderUnavailable);
    time += 1_000; // within 30 s of the failed fetch: not fetched again, still the provider's fault
    expect(await resolve('k3').catch((e: unknown) => e)).to.be.instanceOf(IdentityProviderUnavailable);
    expect(fetches).to.equal(2);
  });
});
