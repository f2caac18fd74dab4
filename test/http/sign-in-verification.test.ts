import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * The identity everything hangs on is checked before the app acts on it: an ID token that fails a
 * check, or a tenant the app does not allow, gets a clear 4xx and leaves no session and no tokens.
 */
const T1 = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const T2 = 'c0ffee00-1111-2222-3333-444444444444';

function refusalLogs(app: TestApp, message = 'sign-in refused: id token failed a check'): Array<Record<string, unknown>> {
  return app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === message);
}

const FOREIGN_RESPONSE = 'sign-in refused: the authorization response does not name this provider';

describe('sign-in verification: ID token checks in the app', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000a1');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  it('refuses an ID token issued for another client: 400 page, not signed in, nothing stored, one log line', async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, aud: 'another-client' });
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-a' });
    expect(callback.status, callback.text).to.equal(400);
    expect(callback.text).to.contain('could not be verified');
    expect(callback.text).to.not.match(/eyJ|Error:|node_modules/);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-a')).to.deep.equal([]);
    expect((await browser.get('/profile')).location, 'still signed out').to.match(/^\/auth\/signin/);
    expect(refusalLogs(app).map((line) => line.rule)).to.deep.equal(['aud']);
    expect(app.logs.join('\n')).to.not.match(/eyJ/);
  });

  it("answers 503 when the provider's keys cannot be fetched during sign-in, and stores nothing", async () => {
    entra.jwksStatus = 500;
    const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-a' });
    expect(callback.status).to.equal(503);
    expect(callback.text).to.contain('try again');
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-a')).to.deep.equal([]);
  });

  it('signs in an app whose tokens Entra signs with a key of its own (a claims-mapping policy): its keys are read at jwks_uri?appid=<client id>', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    entra.appKeys = [{ ...(await exportJWK(publicKey)), kid: 'app-key', alg: 'RS256', use: 'sig' }];
    entra.idTokenSigner = { key: privateKey, alg: 'RS256', kid: 'app-key' };
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-a' });
    expect(callback.status, callback.text).to.equal(302);
    expect((await browser.get('/profile')).status).to.equal(200);
    expect(entra.jwksQueries).to.not.be.empty;
    expect(entra.jwksQueries.every((query) => query === `?appid=${entra.clientId}`), entra.jwksQueries.join(' ')).to.equal(true);
  });

  it('declares the CAE client capability cp1 on the authorization and the token request', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin');
    expect(JSON.parse(new URL(start.location!).searchParams.get('claims')!).access_token).to.deep.equal({ xms_cc: { values: ['cp1'] } });
    const { code, state } = entra.authorize(start.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).status).to.equal(302);
    expect(JSON.parse(entra.lastTokenRequestClaims!).access_token).to.deep.equal({ xms_cc: { values: ['cp1'] } });
  });
});

describe('sign-in verification: a multi-tenant (common) authority with ALLOWED_TENANTS', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000a2', T1);
  const mallory = fakeUser('mallory', 'eeeeeeee-0000-0000-0000-0000000000e2', T2);
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice, mallory], { ALLOWED_TENANTS: T1 }, () => {}, {}, { tenant: 'common', tenantId: T1 })));
  afterEach(() => stopTestApp(app));

  it('signs in a user of an allowed tenant, with the issuer of her tenant', async () => {
    expect(entra.issuer).to.equal('https://login.microsoftonline.com/{tenantid}/v2.0');
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    expect(callback.status, callback.text).to.equal(302);
    expect((await browser.get('/profile')).status).to.equal(200);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${T1}`)).to.not.equal(undefined);
  });

  it('refuses a user of a tenant that is not allowed, storing nothing, and says why', async () => {
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, mallory, { sid: 'sid-mallory' });
    expect(callback.status, callback.text).to.equal(400);
    expect(callback.text).to.contain('does not accept accounts of your organisation').and.not.contain('try again');
    expect(await app.container.cradle.tokenStore.read(`${mallory.oid}.${T2}`)).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-mallory')).to.deep.equal([]);
    expect(refusalLogs(app).map((line) => line.rule)).to.deep.equal(['tid']);
  });

  it('refuses an ID token with no tenant id to resolve the issuer with as unverified, not as an organisation refused', async () => {
    for (const tid of [undefined, 'contoso']) {
      entra.idTokenClaims = (claims) => ({ ...claims, tid });
      const callback = await signInWithBrowser(app.browser(), entra, alice);
      expect(callback.status, callback.text).to.equal(400);
      expect(callback.text, `tid ${String(tid)}`).to.contain('could not be verified').and.not.contain('your organisation');
    }
    expect(refusalLogs(app).map((line) => line.rule)).to.deep.equal(['iss', 'iss']);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${T1}`)).to.equal(undefined);
  });

  it("refuses, before redeeming its code, a response naming the provider's issuer of a tenant not allowed, and says why", async () => {
    // The dev provider (oidc-provider) names itself in every authorization response (RFC 9207):
    // a user of another organisation is refused there, by the same rule as her ID token's.
    const callback = await signInWithBrowser(app.browser(), entra, mallory, { sid: 'sid-mallory', iss: entra.issuerFor(T2) });
    expect(callback.status, callback.text).to.equal(400);
    expect(callback.text).to.contain('does not accept accounts of your organisation');
    expect(callback.text).to.contain('Sign in with another account');
    expect(entra.calls.authorization_code, 'the code was never sent to the token endpoint').to.equal(0);
    expect(refusalLogs(app, 'sign-in refused: the authorization response names a tenant not allowed').map((line) => line.rule)).to.deep.equal(['response-tid']);
    const foreign = await signInWithBrowser(app.browser(), entra, mallory, { iss: 'https://attacker.example/v2.0' });
    expect(foreign.text, 'an issuer not the provider at all').to.contain('could not be verified');
  });

  it("offers another account on the refused sign-in's page: a sign-in that makes the provider ask for credentials again", async () => {
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, mallory, { sid: 'sid-mallory' });
    expect(callback.status).to.equal(400);
    // The provider's own session would sign mallory in again at once, and be refused again.
    expect(callback.text).to.contain('<a href="/auth/signin?prompt=login">Sign in with another account</a>');

    const start = await browser.get('/auth/signin?prompt=login');
    expect(start.status).to.equal(302);
    expect(new URL(start.location!).searchParams.get('prompt')).to.equal('login');
    const callbackOfAlice = await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    expect(callbackOfAlice.status, 'another account signs in').to.equal(302);
    expect((await browser.get('/profile')).text).to.contain(alice.username);
  });

  it('takes no prompt other than login on /auth/signin, and offers no other account on a page that is not a refused sign-in', async () => {
    for (const query of ['prompt=none', 'prompt=consent', 'prompt=login&prompt=login']) {
      expect((await app.browser().get(`/auth/signin?${query}`)).status, query).to.equal(400);
    }
    expect((await app.browser().get('/auth/signin')).location, 'no prompt unless asked').to.not.match(/[?&]prompt=/);
    expect((await app.browser().get('/no-such-page')).text).to.not.contain('Sign in with another account');
  });

  it("refuses a token that names an allowed tenant but another tenant's issuer", async () => {
    entra.idTokenClaims = (claims) => ({ ...claims, iss: entra.issuerFor(T2) });
    const callback = await signInWithBrowser(app.browser(), entra, alice);
    expect(callback.status).to.equal(400);
    expect(refusalLogs(app).map((line) => line.rule)).to.deep.equal(['iss']);
  });

  it('accepts a front-channel iss of an allowed tenant only', async () => {
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    const provider = app.browser();
    const foreign = await provider.get(`/auth/signout/frontchannel?sid=sid-alice&iss=${encodeURIComponent(entra.issuerFor(T2))}`);
    expect(foreign.status).to.equal(400);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
    const genuine = await provider.get(`/auth/signout/frontchannel?sid=sid-alice&iss=${encodeURIComponent(entra.issuerFor(T1))}`);
    expect(genuine.status).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${T1}`)).to.equal(undefined);
  });

  it('accepts a back-channel logout token from the issuer of an allowed tenant only, with or without a tid', async () => {
    const provider = app.browser();
    const post = async (sid: string, iss: string, tid?: string) =>
      provider.post('/auth/signout/backchannel', { logout_token: await entra.logoutToken({ sid, iss, ...(tid ? { tid } : {}) }) }, { headers: { origin: '', accept: '*/*' } });
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    expect((await post('sid-alice', entra.issuerFor(T2), T2)).status).to.equal(400);
    expect((await post('sid-alice', entra.issuerFor(T2))).status, 'no tid: the tenant its issuer names is not allowed').to.equal(400);
    expect((await post('sid-alice', entra.issuerFor(T1), T2)).status, "a tid that is not its issuer's").to.equal(400);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
    expect((await post('sid-alice', entra.issuerFor(T1), T1)).status).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);

    // Back-Channel Logout 1.0 §2.4 defines no tid, and oidc-provider (the dev provider) sends none.
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice-again' });
    expect((await post('sid-alice-again', entra.issuerFor(T1))).status).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice-again')).to.deep.equal([]);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${T1}`)).to.equal(undefined);
  });
});

describe("sign-in verification: the authorization response's issuer (RFC 9207, mix-up defence)", () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000a3');
  const accountId = (entra: FakeEntra) => `${alice.oid}.${entra.tenantId}`;

  async function refusedBeforeRedemption(app: TestApp, entra: FakeEntra, callback: { status: number; text: string }): Promise<void> {
    expect(callback.status, callback.text).to.equal(400);
    expect(callback.text).to.contain('could not be verified');
    expect(entra.calls.authorization_code, 'the code was never sent to the token endpoint').to.equal(0);
    expect(await app.container.cradle.tokenStore.read(accountId(entra))).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-a')).to.deep.equal([]);
    expect(refusalLogs(app, FOREIGN_RESPONSE).map((line) => line.rule)).to.deep.equal(['response-iss']);
  }

  describe('a provider that promises to name itself (authorization_response_iss_parameter_supported)', () => {
    let entra: FakeEntra;
    let app: TestApp;
    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], {}, (fake) => (fake.namesItselfInResponses = true))));
    afterEach(() => stopTestApp(app));

    it('signs in when the response names the provider', async () => {
      const browser = app.browser();
      const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-a', iss: entra.issuerFor() });
      expect(callback.status, callback.text).to.equal(302);
      expect((await browser.get('/profile')).status).to.equal(200);
    });

    it('refuses a response without iss before redeeming its code, storing nothing', async () => {
      await refusedBeforeRedemption(app, entra, await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-a' }));
    });
  });

  describe('a provider that promises nothing (as Entra)', () => {
    let entra: FakeEntra;
    let app: TestApp;
    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
    afterEach(() => stopTestApp(app));

    it('signs in with a response that names the provider, or names no issuer', async () => {
      const named = app.browser();
      expect((await signInWithBrowser(named, entra, alice, { iss: entra.issuerFor() })).status).to.equal(302);
      expect((await named.get('/profile')).status).to.equal(200);
      const unnamed = app.browser();
      expect((await signInWithBrowser(unnamed, entra, alice)).status).to.equal(302);
      expect((await unnamed.get('/profile')).status).to.equal(200);
    });

    it('refuses a response that names another issuer before redeeming its code (compared exactly)', async () => {
      await refusedBeforeRedemption(app, entra, await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-a', iss: 'https://attacker.example/v2.0' }));
      const almost = await signInWithBrowser(app.browser(), entra, alice, { iss: `${entra.issuerFor()}/` });
      expect(almost.status, 'a trailing slash is another issuer').to.equal(400);
      const empty = await signInWithBrowser(app.browser(), entra, alice, { iss: '' });
      expect(empty.status, 'an empty iss names no issuer: not the provider, and not absent').to.equal(400);
      expect(entra.calls.authorization_code).to.equal(0);
      expect(refusalLogs(app, FOREIGN_RESPONSE), 'anyone with a fresh state can send these: logged once a minute').to.have.length(1);
    });

    it("does not show another issuer's error as this sign-in's", async () => {
      const browser = app.browser();
      const start = await browser.get('/auth/signin');
      const state = new URL(start.location!).searchParams.get('state')!;
      const callback = await browser.get(`/auth/redirect?${new URLSearchParams({ error: 'access_denied', state, iss: 'https://attacker.example/v2.0' })}`);
      expect(callback.status).to.equal(400);
      expect(callback.text).to.contain('could not be verified');
      expect(callback.text).to.not.contain('cancelled');
    });

    it('refuses a response with more than one iss, even when one of them is the provider', async () => {
      const browser = app.browser();
      const start = await browser.get('/auth/signin');
      const { code, state } = entra.authorize(start.location!, alice);
      const iss = encodeURIComponent(entra.issuerFor());
      const callback = await browser.get(`/auth/redirect?code=${code}&state=${state}&iss=${iss}&iss=${iss}`);
      expect(callback.status).to.equal(400);
      expect(callback.text).to.contain('more than one iss');
      expect(entra.calls.authorization_code).to.equal(0);
    });
  });

  describe('a multi-tenant (common) authority', () => {
    const bob = fakeUser('bob', 'bbbbbbbb-0000-0000-0000-0000000000b3', T1);
    let entra: FakeEntra;
    let app: TestApp;
    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([bob], { ALLOWED_TENANTS: T1 }, () => {}, {}, { tenant: 'common', tenantId: T1 })));
    afterEach(() => stopTestApp(app));

    it("takes the issuer of an allowed tenant, and refuses another tenant's or the unresolved template", async () => {
      expect((await signInWithBrowser(app.browser(), entra, bob, { iss: entra.issuerFor(T2) })).status).to.equal(400);
      expect((await signInWithBrowser(app.browser(), entra, bob, { iss: entra.issuer })).status).to.equal(400);
      expect(entra.calls.authorization_code).to.equal(0);
      const browser = app.browser();
      expect((await signInWithBrowser(browser, entra, bob, { iss: entra.issuerFor(T1) })).status).to.equal(302);
      expect((await browser.get('/profile')).status).to.equal(200);
    });
  });
});

describe('sign-in verification: an Entra B2B guest (a user of another organisation invited into the tenant)', () => {
  const HOME_TENANT = 'cccccccc-0000-0000-0000-00000000000c';
  const GUEST_OBJECT = 'dddddddd-0000-0000-0000-00000000000d';
  // client_info names the guest's home account; the tokens are this tenant's, about the guest object here.
  const guest = fakeUser('guest', 'cccccccc-0000-0000-0000-0000000000c1', HOME_TENANT);
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([guest], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, (fake) => {
      fake.idTokenClaims = (claims) => ({ ...claims, iss: fake.issuerFor(fake.tenantId), tid: fake.tenantId, oid: GUEST_OBJECT });
    }));
  });
  afterEach(() => stopTestApp(app));

  it('signs the guest in, keeps the tokens under the home account MSAL names, refreshes them, and removes them at sign-out', async () => {
    const homeAccountId = `${guest.oid}.${HOME_TENANT}`;
    entra.accessTokenLifetimeSeconds = 60; // every page refreshes: the refreshed ID token is checked too
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, guest, { sid: 'sid-guest' });
    expect(callback.status, callback.text).to.equal(302);
    const profile = await browser.get('/profile');
    expect(profile.status, profile.text).to.equal(200);
    expect(profile.text).to.contain(guest.username);
    expect(entra.calls.refresh_token, 'refreshed').to.be.greaterThan(0);
    expect(await app.container.cradle.tokenStore.read(homeAccountId)).to.not.equal(undefined);

    expect((await app.browser().get('/auth/signout/frontchannel?sid=sid-guest')).status).to.equal(200);
    expect(await app.container.cradle.tokenStore.read(homeAccountId)).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-guest')).to.deep.equal([]);
  });
});
