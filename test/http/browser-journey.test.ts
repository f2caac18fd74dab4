import { expect } from 'chai';
import { decodeJwt } from 'jose';
import nock from 'nock';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { fakeGraph, pendingSignInCookies, signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom } from '../support/scripted-browser.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';

describe('the browser journey: sign in, profile, sign out', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  it('signs in, shows the API profile, signs out and removes the tokens', async () => {
    const browser = app.browser();
    const home = await browser.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('You are not signed in');

    const protectedPage = await browser.get('/profile');
    expect(protectedPage.status).to.equal(302);
    expect(protectedPage.location).to.equal('/auth/signin?returnTo=%2Fprofile');

    const start = await browser.get(protectedPage.location!);
    expect(start.status).to.equal(302);
    const authorize = new URL(start.location!);
    expect(authorize.origin + authorize.pathname).to.equal(`${entra.authority}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(start.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(pendingSignInCookies(browser), 'the browser holds the pending sign-in').to.have.length(1);
    expect(browser.cookie('app.session'), 'no session before sign-in').to.equal(undefined);

    const { code, state } = entra.authorize(start.location!, alice, 'sid-alice');
    const callback = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status).to.equal(302);
    expect(callback.location).to.equal('/profile');
    expect(pendingSignInCookies(browser), 'pending sign-in spent').to.deep.equal([]);
    expect(browser.cookie('app.session'), 'a session from sign-in on').to.be.a('string');

    const profile = await browser.get('/profile');
    expect(profile.status).to.equal(200);
    expect(profile.text).to.contain(alice.username).and.contain('Signed in as Alice');
    expect(profile.text).to.contain('Access token').and.contain('Refresh token').and.contain('User.Read');
    expect(profile.text, 'a refresh token has no scopes or expiry to show').to.match(/<td>Refresh token<\/td>\s*<td class="scopes">&mdash;<\/td>\s*<td>&mdash;<\/td>/);
    expect(profile.text, 'never the token text').to.not.match(new RegExp(`at\\.${alice.oid}|rt\\.${alice.oid}`));
    const accountId = `${alice.oid}.${entra.tenantId}`;
    expect(await app.container.cradle.tokenStore.read(accountId)).to.not.equal(undefined);

    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(profile) });
    expect(signOut.status).to.equal(302);
    const endSession = new URL(signOut.location!);
    expect(endSession.origin + endSession.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).to.equal(`${app.baseUrl}/auth/signed-out`);
    expect(endSession.searchParams.get('logout_hint')).to.equal(`hint-${alice.oid}`);
    expect(endSession.searchParams.get('client_id')).to.equal(entra.clientId);
    expect(endSession.searchParams.get('id_token_hint'), 'the ID token of the sign-in (RP-Initiated Logout §2)').to.equal(entra.issuedIdTokens.at(-1));
    expect(decodeJwt(endSession.searchParams.get('id_token_hint')!)).to.include({ aud: entra.clientId, sub: `sub-${alice.oid}`, sid: 'sid-alice' });
    expect(await app.container.cradle.tokenStore.read(accountId), 'tokens removed').to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice'), 'sessions ended').to.deep.equal([]);

    const signedOut = await browser.get('/auth/signed-out');
    expect(signedOut.text).to.contain('tokens this app held for you have been removed');
    expect(signedOut.text, 'the provider was asked to end its session').to.not.contain('still open');
    const after = await browser.get('/profile');
    expect(after.status).to.equal(302);
    expect(after.location).to.match(/^\/auth\/signin/);
  });

  it("says, after a sign-out from a provider with no end-session endpoint, that the provider's session is still open", async () => {
    await stopTestApp(app);
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, (fake) => (fake.endSessionEndpoint = null)));
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });

    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(await browser.get('/profile')) });
    expect(signOut.location).to.equal('/auth/signed-out');
    const page = await browser.get('/auth/signed-out');

    expect(page.text).to.contain('tokens this app held for you have been removed');
    expect(page.text).to.contain('The sign-in service offers apps no way to end your session there, so it is still open');
  });

  it('tells a visitor who comes back from the provider still signed in here so, with the form to sign out here too', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const accountId = `${alice.oid}.${entra.tenantId}`;
    // Ends the provider's session only (the provider then sends the browser back to /auth/signed-out).
    expect((await browser.get('/auth/signout/provider')).location).to.match(new RegExp(`^${entra.authority}/oauth2/v2.0/logout`));

    const page = await browser.get('/auth/signed-out');

    expect(page.status).to.equal(200);
    expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(page.text).to.contain('You are still signed in to this app').and.contain('Signed in as Alice');
    expect(page.text).to.not.contain('You are signed out').and.not.contain('have been removed');
    expect(page.text).to.contain('action="/auth/signout"').and.contain('href="/profile"');
    expect(await app.container.cradle.tokenStore.read(accountId), 'the tokens are indeed kept').to.not.equal(undefined);
    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(page) });
    expect(signOut.status, "the page's form signs out here").to.equal(302);
    expect(await app.container.cradle.tokenStore.read(accountId)).to.equal(undefined);

    const signedOut = await browser.get('/auth/signed-out');
    expect(signedOut.text).to.contain('You are signed out').and.contain('tokens this app held for you have been removed');
    expect(signedOut.text).to.not.contain('Signed in as').and.not.contain('still signed in');
  });

  it('says the tokens were removed only to the browser whose sign-out here removed them, once', async () => {
    const laptop = app.browser();
    await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop' });
    const phone = app.browser();
    await signInWithBrowser(phone, entra, alice, { sid: 'sid-phone' });
    const accountId = `${alice.oid}.${entra.tenantId}`;
    // The phone ends the laptop's session from its sessions page: the tokens stay, the phone uses them.
    const sessions = await phone.get('/sessions');
    const handle = /name="session" value="([^"]+)"/.exec(sessions.text)![1]!;
    expect((await phone.post('/sessions/end', { _csrf: csrfFrom(sessions), session: handle })).status).to.equal(303);

    const laptopPage = await laptop.get('/auth/signed-out');
    expect(laptopPage.text).to.contain('You are signed out').and.not.contain('have been removed');
    expect(await app.container.cradle.tokenStore.read(accountId), 'the tokens are indeed kept').to.not.equal(undefined);
    expect((await app.browser().get('/auth/signed-out')).text, 'a visitor').to.not.contain('have been removed');

    const profile = await phone.get('/profile');
    const signOut = await phone.post('/auth/signout', { _csrf: csrfFrom(profile) });
    expect(signOut.status).to.equal(302);
    expect(signOut.headers.getSetCookie().filter((line) => line.includes('.signed-out')), 'one unsigned note').to.have.length(1);
    expect((await phone.get('/auth/signed-out')).text).to.contain('tokens this app held for you have been removed');
    expect((await phone.get('/auth/signed-out')).text, 'said once').to.not.contain('have been removed');

    // A note never read (the provider's page abandoned) does not outlive the next sign-in.
    const again = await laptop.get('/profile').then(() => signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop-2' }));
    expect(again.status).to.equal(302);
    const laptopProfile = await laptop.get('/profile');
    expect((await laptop.post('/auth/signout', { _csrf: csrfFrom(laptopProfile) })).status).to.equal(302);
    await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop-3' });
    expect(laptop.cookie('app.session.signed-out'), 'cleared at sign-in').to.equal(undefined);
  });

  it('gives a new session id to a signed-in user who signs in again, and ends the old session', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const first = browser.cookie('app.session')!;
    await signInWithBrowser(browser, entra, alice);
    expect(browser.cookie('app.session')).to.be.a('string').and.not.equal(first);
    expect(await app.container.cradle.sessionStore.get(first), 'old session gone').to.equal(undefined);
    expect((await browser.get('/profile')).status).to.equal(200);
  });

  it('comes back to the page the user asked for', async () => {
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { returnTo: '/profile?tab=2' });
    expect(callback.location).to.equal('/profile?tab=2');
  });

  it("lets pages' forms reach any https host (a provider's sign-out may pass through hosts of its own), and the front-channel frame the provider's end-session host when discovery puts it elsewhere", async () => {
    await stopTestApp(app);
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, (fake) => (fake.endSessionEndpoint = 'https://logout.idp-elsewhere.example/signout')));
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });

    const page = await browser.get('/profile');
    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(page) });

    expect(page.headers.get('content-security-policy')).to.contain("form-action 'self' https:;");
    expect(signOut.location).to.match(/^https:\/\/logout\.idp-elsewhere\.example\/signout\?/);
    const frame = await app.browser().get('/auth/signout/frontchannel?sid=unknown');
    expect(frame.headers.get('content-security-policy')).to.equal(`default-src 'none'; style-src 'self'; img-src data:; frame-ancestors ${new URL(entra.authority).origin} https://logout.idp-elsewhere.example`);
  });

  it('refuses a sign-out without the CSRF token or from another origin', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const profile = await browser.get('/profile');
    const missing = await browser.post('/auth/signout', {});
    expect(missing.status).to.equal(403);
    const crossSite = await browser.post('/auth/signout', { _csrf: csrfFrom(profile) }, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).to.equal(403);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'still signed in').to.not.equal(undefined);
  });

  it('answers a GET of the sign-out address (a typed or bookmarked link) with a page to confirm, changing nothing until its form is sent', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const accountId = `${alice.oid}.${entra.tenantId}`;

    const confirm = await browser.get('/auth/signout');

    expect(confirm.status).to.equal(200);
    expect(confirm.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(confirm.text).to.contain('Sign out?').and.contain('action="/auth/signout"');
    expect(await app.container.cradle.tokenStore.read(accountId), 'a GET signs no one out').to.not.equal(undefined);
    expect((await browser.get('/profile')).status, 'still signed in').to.equal(200);

    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(confirm) });
    expect(signOut.status).to.equal(302);
    expect(await app.container.cradle.tokenStore.read(accountId), 'the form of that page signs out').to.equal(undefined);
    const signedOut = await browser.get('/auth/signout');
    expect([signedOut.status, signedOut.location], 'signed out here: on to the provider, as the form goes').to.deep.equal([302, '/auth/signout/provider']);
    expect((await app.browser().get('/auth/signout')).location, 'a browser with no session, the same').to.equal('/auth/signout/provider');
  });

  it('offers a fresh sign-out form on the page of a refused one (a stale tab whose form predates a sign-in in another tab)', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const staleTab = await browser.get('/profile');
    await signInWithBrowser(browser, entra, alice); // signed in again in another tab: a new session, a new form token

    const refused = await browser.post('/auth/signout', { _csrf: csrfFrom(staleTab) });

    expect(refused.status).to.equal(403);
    expect(refused.text).to.contain('This form has expired').and.contain('<a class="button" href="/auth/signout">Sign out</a>');
    const fresh = await browser.get('/auth/signout');
    expect((await browser.post('/auth/signout', { _csrf: csrfFrom(fresh) })).status, 'its form signs out').to.equal(302);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    const elsewhere = await app.browser().get('/nope');
    expect(elsewhere.text, 'no such offer on other refusals').to.not.contain('href="/auth/signout">Sign out</a>');
  });

  it('offers the sign-out page again on the page of a sign-out the store could not carry out', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const { tokenStore } = app.container.cradle;
    const remove = tokenStore.remove.bind(tokenStore);
    tokenStore.remove = async () => {
      throw new StoreUnavailable('the store is down for this test');
    };

    const failed = await browser.post('/auth/signout', { _csrf: csrfFrom(await browser.get('/profile')) });

    expect(failed.status).to.equal(503);
    expect(failed.text).to.contain('<a class="button" href="/auth/signout">Sign out</a>');
    tokenStore.remove = remove;
    const again = await browser.get('/auth/signout');
    expect((await browser.post('/auth/signout', { _csrf: csrfFrom(again) })).status, 'the store back, the sign-out goes through').to.equal(302);
    expect(await tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
  });

  it('still signs the user out at the provider when their session ended before they pressed "Sign out"', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const profile = await browser.get('/profile');
    // The session ends elsewhere (the provider's front-channel sign-out, another device, expiry).
    expect((await app.browser().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);

    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(profile) });

    expect(signOut.status, 'not a 403 for a form whose session is gone').to.equal(302);
    expect(signOut.location).to.equal('/auth/signout/provider');
    expect(signOut.headers.get('cache-control')).to.equal('no-cache, no-store');
    const provider = await browser.get(signOut.location!);
    const endSession = new URL(provider.location!);
    expect(endSession.origin + endSession.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(endSession.searchParams.get('id_token_hint'), 'no hint: the provider asks the user to confirm').to.equal(null);
    expect((await app.browser().post('/auth/signout', {})).location, 'a visitor without a session, the same').to.equal('/auth/signout/provider');
    const crossSite = await app.browser().post('/auth/signout', {}, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status, 'a foreign Origin is still refused').to.equal(403);
  });

  it('sends the user to consent with the claims of a claims challenge, then back to the page', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    nock.cleanAll();
    entra.install();
    nock('https://graph.microsoft.com')
      .get('/v1.0/me')
      .reply(401, { error: { code: 'InvalidAuthenticationToken' } }, {
        'WWW-Authenticate': `Bearer realm="", error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"`,
      });
    const page = await browser.get('/profile');
    expect(page.status).to.equal(302);
    const authorize = new URL(page.location!);
    expect(authorize.pathname).to.equal(`/${entra.tenantId}/oauth2/v2.0/authorize`);
    const requested = JSON.parse(authorize.searchParams.get('claims')!);
    expect(requested.access_token.acrs, 'the challenge').to.deep.equal({ essential: true, value: 'c1' });
    expect(requested.access_token.xms_cc, 'client capabilities (CAE)').to.deep.equal({ values: ['cp1'] });
    expect(authorize.searchParams.get('scope')).to.contain('User.Read');
    expect(authorize.searchParams.get('login_hint')).to.equal(alice.username);
    fakeGraph([alice]);
    const { code, state } = entra.authorize(page.location!, alice);
    const callback = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
  });

  it('does not send the user round again when the page asks for them right after the sign-in that answered it', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const claims = Buffer.from(JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } })).toString('base64');
    nock.cleanAll();
    entra.install();
    // An API that goes on asking for a claim, whatever token it gets (one the provider cannot meet).
    nock('https://graph.microsoft.com')
      .get('/v1.0/me')
      .times(10)
      .reply(401, { error: { code: 'InvalidAuthenticationToken' } }, { 'WWW-Authenticate': `Bearer realm="", error="insufficient_claims", claims="${claims}"` });

    const first = await browser.get('/profile?tab=2');
    expect(first.status, 'the first time, the user is sent to answer it').to.equal(302);
    const { code, state } = entra.authorize(first.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile?tab=2');

    const again = await browser.get('/profile?tab=2');
    expect(again.status, 'not a redirect loop').to.equal(502);
    expect(again.text).to.contain('still refuses access after you signed in again');
    expect((await browser.get('/profile')).status, 'another page may still ask').to.equal(302);
  });

  it('sends a HEAD request that needs the user to sign in, as a GET', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    nock.cleanAll();
    entra.install();
    nock('https://graph.microsoft.com').get('/v1.0/me').times(3).reply(401, {}, { 'WWW-Authenticate': 'Bearer realm=""' });
    const head = await fetch(`${app.baseUrl}/profile`, { method: 'HEAD', redirect: 'manual', headers: { cookie: browser.cookieNamesFor().map((name) => `${name}=${browser.cookie(name)}`).join('; ') } });
    expect(head.status).to.equal(302);
    expect(head.headers.get('location')).to.match(/\/oauth2\/v2\.0\/authorize\?/);
  });
});
