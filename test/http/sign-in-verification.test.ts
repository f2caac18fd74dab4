import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * The identity everything hangs on is checked before the app acts on it: an ID token that fails a
 * check, or a tenant the app does not allow, gets a clear 4xx and leaves no session and no tokens.
 */
const T1 = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const T2 = 'c0ffee00-1111-2222-3333-444444444444';

function refusalLogs(app: TestApp): Array<Record<string, unknown>> {
  return app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === 'sign-in refused: id token failed a check');
}

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

  it('refuses a user of a tenant that is not allowed, storing nothing', async () => {
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, mallory, { sid: 'sid-mallory' });
    expect(callback.status, callback.text).to.equal(400);
    expect(callback.text).to.contain('could not be verified');
    expect(await app.container.cradle.tokenStore.read(`${mallory.oid}.${T2}`)).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-mallory')).to.deep.equal([]);
    expect(refusalLogs(app).map((line) => line.rule)).to.deep.equal(['tid']);
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

  it('accepts a back-channel logout token from the issuer of an allowed tenant only', async () => {
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    const provider = app.browser();
    const post = async (iss: string, tid: string) =>
      provider.post('/auth/signout/backchannel', { logout_token: await entra.logoutToken({ sid: 'sid-alice', iss, tid }) }, { headers: { origin: '', accept: '*/*' } });
    expect((await post(entra.issuerFor(T2), T2)).status).to.equal(400);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
    expect((await post(entra.issuerFor(T1), T1)).status).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
  });
});
