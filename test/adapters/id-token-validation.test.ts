import { expect } from 'chai';
import { generateSecret } from 'jose';
import nock from 'nock';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { IdentityProviderUnavailable, SignInUnverified } from '../../src/domain/errors.ts';
import { FakeEntra, fakeUser, foreignKey, publishedKey } from '../support/fake-entra.ts';
import { blockNetwork, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

/**
 * OpenID Connect Core 1.0 §3.1.3.7: the ID token received at code redemption is checked before
 * anything is stored. One test per rule: each fails closed (no partition written) and names the rule.
 */
describe('ID token validation at code redemption', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-00000000000a');
  const now = () => Math.floor(Date.now() / 1000);
  let entra: FakeEntra;
  let store: MemoryTokenStore;
  let warnings: string[];

  beforeEach(() => {
    blockNetwork();
    entra = new FakeEntra().install();
    store = new MemoryTokenStore();
    warnings = [];
  });
  afterEach(() => nock.cleanAll());

  const signIn = () => signInThroughMsal(msalIdentityProvider(entra, store, warnings), entra, alice, 'sid-1');

  async function expectRefused(rule: string): Promise<void> {
    const error = await signIn().catch((e: unknown) => e);
    expect(error, String(error)).to.be.instanceOf(SignInUnverified);
    expect((error as SignInUnverified).rule).to.equal(rule);
    expect(await store.read(`${alice.oid}.${entra.tenantId}`), 'nothing stored').to.equal(undefined);
    expect(warnings.filter((line) => line.startsWith('sign-in refused')), 'one log line naming the rule').to.deep.equal([
      `sign-in refused: id token failed a check {"rule":"${rule}"}`,
    ]);
    expect(warnings.join('\n'), 'never the token').to.not.match(/eyJ/);
  }

  it('accepts a token signed by the provider for this client, and stores the partition', async () => {
    const account = await signIn();
    expect(account).to.include({ accountId: `${alice.oid}.${entra.tenantId}`, subject: `sub-${alice.oid}`, sid: 'sid-1' });
    expect(await store.read(account.accountId)).to.not.equal(undefined);
  });

  it('refuses a token signed with a key the provider never published (signature)', async () => {
    entra.idTokenSigner = { key: await foreignKey(), alg: 'RS256', kid: 'fake-entra-key' };
    await expectRefused('signature');
  });

  it('refuses a token signed with a key id the provider does not publish (signature)', async () => {
    entra.idTokenSigner = { key: await foreignKey(), alg: 'RS256', kid: 'unknown-key' };
    await expectRefused('signature');
  });

  it('refuses a token with a symmetric algorithm, e.g. HS256 with a guessable secret (algorithm)', async () => {
    entra.idTokenSigner = { key: await generateSecret('HS256'), alg: 'HS256' };
    await expectRefused('algorithm');
  });

  it('refuses a token signed by the published key with an algorithm discovery does not advertise (algorithm)', async () => {
    entra.idTokenSigner = { key: await publishedKey('RS384'), alg: 'RS384', kid: 'fake-entra-key' };
    await expectRefused('algorithm');
  });

  it('refuses an unsigned token, alg none (algorithm)', async () => {
    entra.idTokenSigner = { key: new Uint8Array(), alg: 'none' };
    await expectRefused('algorithm');
  });

  it('refuses a token that declares itself another kind of JWT, e.g. an access token or a logout token (typ)', async () => {
    const key = await publishedKey('RS256');
    // A `typ` is a string (RFC 7515 §4.1.9): one that is not declares nothing this app can accept.
    for (const typ of ['at+jwt', 'logout+jwt', ['JWT'] as unknown as string]) {
      entra.idTokenSigner = { key, alg: 'RS256', kid: 'fake-entra-key', typ };
      warnings = [];
      await expectRefused('typ');
    }
  });

  it('accepts a token declaring no type, or JWT in any spelling', async () => {
    const key = await publishedKey('RS256');
    for (const typ of [null, 'jwt', 'application/JWT']) {
      entra.idTokenSigner = { key, alg: 'RS256', kid: 'fake-entra-key', typ };
      expect((await signIn()).subject, String(typ)).to.equal(`sub-${alice.oid}`);
    }
  });

  it('refuses a token from another issuer (iss)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-00000000beef/v2.0' });
    await expectRefused('iss');
  });

  it('refuses a token issued for another client (aud)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: 'another-client' });
    await expectRefused('aud');
  });

  it('refuses a token also meant for another audience that does not name this client its authorized party (azp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: [entra.clientId, 'another-client'] });
    await expectRefused('azp');
  });

  it('refuses a token with several audiences and no authorized party (azp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: [entra.clientId, entra.clientId] });
    await expectRefused('azp');
  });

  it('refuses a token whose authorized party is another client (azp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, azp: 'another-client' });
    await expectRefused('azp');
  });

  it('accepts several audiences when azp is this client', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: [entra.clientId, 'another-client'], azp: entra.clientId });
    expect((await signIn()).accountId).to.equal(`${alice.oid}.${entra.tenantId}`);
  });

  it('refuses several audiences whose authorized party is another of them (azp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: [entra.clientId, 'another-client'], azp: 'another-client' });
    await expectRefused('azp');
  });

  it('accepts an audience list of this client alone, with azp this client', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: [entra.clientId], azp: entra.clientId });
    expect((await signIn()).accountId).to.equal(`${alice.oid}.${entra.tenantId}`);
  });

  it('refuses an expired token, past the clock skew (exp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() - 420, exp: now() - 301 });
    await expectRefused('exp');
  });

  it('accepts a token that expired within the clock skew', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() - 400, exp: now() - 200 });
    expect((await signIn()).accountId).to.equal(`${alice.oid}.${entra.tenantId}`);
  });

  it('refuses a token expiring no later than it was issued, though within the clock skew (exp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() - 10, exp: now() - 10 });
    await expectRefused('exp');
  });

  it('refuses a token issued in the future, past the clock skew (iat)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() + 400, nbf: undefined, exp: now() + 4000 });
    await expectRefused('iat');
  });

  it('refuses a token not valid before a time past the clock skew (nbf)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, nbf: now() + 400 });
    await expectRefused('nbf');
  });

  it('accepts a token whose nbf is within the clock skew', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, nbf: now() + 200 });
    expect((await signIn()).accountId).to.equal(`${alice.oid}.${entra.tenantId}`);
  });

  it('refuses a token older than the maximum age at redemption (iat)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() - 1200, nbf: undefined, exp: now() + 3600 });
    await expectRefused('iat');
  });

  it('refuses a token older than the maximum age (600 s) though within it plus the clock skew (iat)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() - 700, nbf: undefined, exp: now() + 3600 });
    await expectRefused('iat');
  });

  it('accepts a token a little younger than the maximum age', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iat: now() - 560, nbf: undefined, exp: now() + 3600 });
    expect((await signIn()).accountId).to.equal(`${alice.oid}.${entra.tenantId}`);
  });

  it('refuses a token without exp (exp)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, exp: undefined });
    await expectRefused('exp');
  });

  it('refuses a token without a subject (sub)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, sub: undefined });
    await expectRefused('sub');
  });

  for (const [what, sid] of [['a number', 42], ['an object', { a: 1 }], ['empty', ''], ['256 characters long', 's'.repeat(256)]] as const) {
    it(`refuses a token whose session id is ${what}, which no sign-out from the provider could name (sid)`, async () => {
      entra.idTokenClaims = (claims) => ({ ...claims, sid });
      await expectRefused('sid');
    });
  }

  it('accepts a session id of 255 characters, and a token without one', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, sid: 's'.repeat(255) });
    expect((await signIn()).sid).to.equal('s'.repeat(255));
    entra.idTokenClaims = (claims) => ({ ...claims, sid: undefined });
    expect((await signIn()).sid).to.equal(undefined);
  });

  it('refuses a token whose nonce is not the one sent (nonce)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, nonce: 'another-nonce' });
    // MSAL compares the nonce before the app's checks (nonce_mismatch): the same refusal and log line.
    await expectRefused('nonce');
  });

  it('refuses a token without a nonce (nonce)', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, nonce: undefined });
    await expectRefused('nonce');
  });

  it("refuses a token whose user is not the account the token response names (client_info)", async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, oid: 'bbbbbbbb-0000-0000-0000-00000000000b' });
    await expectRefused('account');
  });

  describe('a token without a string oid, its account named by client_info', () => {
    const bobOid = 'bbbbbbbb-0000-0000-0000-00000000000b';
    /** The token response's client_info (MSAL's partition key `<uid>.<utid>`) names `uid`. */
    const clientInfoNaming = (uid: string) => {
      entra.tokenAnswer = (_form, [status, body]) => [
        status,
        status === 200 ? { ...(body as object), client_info: Buffer.from(JSON.stringify({ uid, utid: entra.tenantId })).toString('base64url') } : body,
      ];
    };

    for (const [what, oid] of [['no oid', undefined], ['an oid that is not a string', 42]] as const) {
      it(`refuses one with ${what} when client_info names another user (account)`, async () => {
        entra.idTokenClaims = (claims) => ({ ...claims, oid });
        clientInfoNaming(bobOid);
        const error = await signIn().catch((e: unknown) => e);
        expect(error, String(error)).to.be.instanceOf(SignInUnverified);
        expect((error as SignInUnverified).rule).to.equal('account');
        expect(await store.read(`${bobOid}.${entra.tenantId}`), "nothing stored under bob's key").to.equal(undefined);
      });
    }

    // Azure AD B2C: client_info names `<oid>-<policy>`, and its tokens carry no tid (the policy in tfp).
    for (const withOid of [true, false]) {
      it(`accepts an Azure AD B2C token, no tid, ${withOid ? 'with oid' : 'its object id as sub'}, whose account client_info names <oid>-<policy>`, async () => {
        entra.idTokenClaims = (claims) => ({ ...claims, tid: undefined, tfp: 'B2C_1_susi', ...(withOid ? {} : { oid: undefined, sub: alice.oid }) });
        clientInfoNaming(`${alice.oid}-b2c_1_susi`);
        expect((await signIn()).accountId).to.equal(`${alice.oid}-b2c_1_susi.${entra.tenantId}`);
      });
    }

    // An Entra B2B guest: the token is this tenant's (its tid, the oid of the guest object here);
    // client_info names the user's home account, in the tenant of their own organisation.
    it('accepts an Entra B2B guest, whose account client_info names in the home tenant, another object id than the token', async () => {
      const homeTenant = 'cccccccc-0000-0000-0000-00000000000c';
      entra.tokenAnswer = (_form, [status, body]) => [
        status,
        status === 200 ? { ...(body as object), client_info: Buffer.from(JSON.stringify({ uid: bobOid, utid: homeTenant })).toString('base64url') } : body,
      ];
      expect((await signIn()).accountId).to.equal(`${bobOid}.${homeTenant}`);
    });

    it("refuses a guest-shaped key that is not Entra's: a home tenant that is no tenant id, or a tid the issuer does not name (account)", async () => {
      const cases: Array<[string, (claims: Record<string, unknown>) => Record<string, unknown>]> = [
        ['not-a-tenant', (claims) => claims],
        ['cccccccc-0000-0000-0000-00000000000c', (claims) => ({ ...claims, tid: 'dddddddd-0000-0000-0000-00000000000d' })],
        [entra.tenantId, (claims) => ({ ...claims, tid: entra.tenantId.toUpperCase() })],
      ];
      for (const [utid, idTokenClaims] of cases) {
        entra.idTokenClaims = idTokenClaims;
        entra.tokenAnswer = (_form, [status, body]) => [
          status,
          status === 200 ? { ...(body as object), client_info: Buffer.from(JSON.stringify({ uid: bobOid, utid })).toString('base64url') } : body,
        ];
        const error = await signIn().catch((e: unknown) => e);
        expect(error, `${utid}: ${String(error)}`).to.be.instanceOf(SignInUnverified);
        expect((error as SignInUnverified).rule, utid).to.be.oneOf(['account', 'tid']);
        expect(await store.read(`${bobOid}.${utid}`), "nothing stored under bob's key").to.equal(undefined);
      }
    });

    it('refuses a B2C-shaped token whose account client_info names another object id (account)', async () => {
      entra.idTokenClaims = (claims) => ({ ...claims, tid: undefined, tfp: 'B2C_1_susi' });
      clientInfoNaming(`${bobOid}-b2c_1_susi`);
      const error = await signIn().catch((e: unknown) => e);
      expect((error as SignInUnverified).rule).to.equal('account');
    });
  });

  it("answers IdentityProviderUnavailable when the provider's keys cannot be fetched, and stores nothing", async () => {
    entra.jwksStatus = 503;
    const error = await signIn().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IdentityProviderUnavailable);
    expect(await store.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
  });
});
