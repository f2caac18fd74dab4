import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom, type Page, type ScriptedBrowser } from '../support/scripted-browser.ts';

const PUBLIC_URL = 'https://app.example';
const FROM_PROXY = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example' };

function cookieLines(page: Page): string[] {
  return page.headers.getSetCookie();
}

async function signIn(browser: ScriptedBrowser, entra: FakeEntra, user: ReturnType<typeof fakeUser>) {
  const start = await browser.get('/auth/signin');
  expect(start.status, start.text).to.equal(302);
  const { code, state } = entra.authorize(start.location!, user, 'sid-alice');
  return { start, callback: await browser.get(`/auth/redirect?code=${code}&state=${state}`) };
}

describe('https: cookies and transport', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  afterEach(() => stopTestApp(app));

  describe('behind a TLS-terminating proxy with TRUST_PROXY=true', () => {
    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { PUBLIC_URL, TRUST_PROXY: 'true' })));

    it('sends Strict-Transport-Security on every answer', async () => {
      for (const path of ['/', '/auth/signin', '/nope']) {
        const page = await app.browser(FROM_PROXY).get(path);
        expect(page.headers.get('strict-transport-security'), path).to.equal('max-age=31536000; includeSubDomains');
      }
    });

    it('names the pending sign-in and session cookies __Host-: Secure, Path=/, no Domain', async () => {
      const browser = app.browser(FROM_PROXY);
      const { start, callback } = await signIn(browser, entra, alice);
      expect(callback.status, callback.text).to.equal(302);
      const lines = [...cookieLines(start), ...cookieLines(callback)];
      const names = lines.map((line) => line.slice(0, line.indexOf('=')));
      expect(names).to.include.members(['__Host-app.session', '__Host-app.session.sig']);
      expect(names.filter((name) => name.startsWith('__Host-app.session.pending.')), 'the pending sign-in, set and cleared').to.have.length(2);
      for (const line of lines) {
        expect(line, line).to.match(/^__Host-/).and.match(/; secure/i).and.match(/; path=\/(;|$)/i).and.not.match(/; domain=/i);
      }
      const profile = await browser.get('/profile');
      expect(profile.status).to.equal(200);
      expect(profile.text).to.contain(alice.username);
    });

    it("reads the protocol from the proxy's own X-Forwarded-Proto entry, the last, not one the client wrote before it", async () => {
      // A proxy that appends: the client's plain-http request came with its own "https" first.
      const overHttp = await app.browser({ ...FROM_PROXY, 'x-forwarded-proto': 'https, http' }).get('/auth/signin');
      expect(overHttp.status, 'sent to https').to.equal(308);
      expect(cookieLines(overHttp), 'no cookie over http').to.deep.equal([]);
      const overHttps = await app.browser({ ...FROM_PROXY, 'x-forwarded-proto': 'http, https' }).get('/auth/signin');
      expect(overHttps.status, overHttps.text).to.equal(302);
      expect(cookieLines(overHttps).some((line) => /^__Host-app\.session\.pending\..*; secure/i.test(line))).to.equal(true);
    });

    it('sends a page asked for over plain http to the same path on PUBLIC_URL, setting no cookie and logging no error', async () => {
      const overHttp = app.browser({ ...FROM_PROXY, 'x-forwarded-proto': 'http' });
      for (const target of ['/auth/signin?returnTo=%2Fprofile', '/profile?x=1', '/', '/nope', '/auth/redirect?state=s&code=c']) {
        const page = await overHttp.get(target);
        expect(page.status, target).to.equal(308);
        // A 308 is cacheable unless told otherwise (RFC 9110 §15.4.9), and its address may hold an authorization code.
        expect(page.headers.get('cache-control'), target).to.equal('no-cache, no-store');
        expect(page.location, target).to.equal(`${PUBLIC_URL}${target}`);
        expect(new URL(page.location!).origin, target).to.equal(PUBLIC_URL);
        expect(cookieLines(page), target).to.deep.equal([]);
      }
      expect(app.logs.filter((line) => line.includes('"level":"error"'))).to.deep.equal([]);
    });

    it('refuses a form posted over plain http with a 400, and still answers health checks and the provider over http', async () => {
      const overHttp = app.browser({ ...FROM_PROXY, 'x-forwarded-proto': 'http' });
      const post = await overHttp.post('/auth/signout', { _csrf: 'x' }, { headers: { origin: PUBLIC_URL } });
      expect(post.status).to.equal(400);
      expect(post.text).to.contain('HTTPS only');
      expect((await app.browser().get('/healthz')).status, 'a probe without X-Forwarded-Proto').to.equal(200);
      expect((await overHttp.get('/auth/signout/frontchannel?sid=unknown')).status, 'front-channel sign-out').to.equal(200);
      expect((await app.browser().post('/healthz', {})).status, 'a method the health check does not take: its 405, not "HTTPS only"').to.equal(405);
    });

    it('clears the signature of a session cookie that does not verify with the flags of every other cookie', async () => {
      const browser = app.browser(FROM_PROXY);
      await signIn(browser, entra, alice);
      browser.setCookie('__Host-app.session.sig', 'forged');
      const page = await browser.get('/');
      const cleared = cookieLines(page).filter((line) => line.startsWith('__Host-app.session.sig='));
      expect(cleared).to.have.length(1);
      expect(cleared[0]).to.match(/^__Host-app\.session\.sig=;/).and.match(/; secure/i).and.match(/; samesite=lax/i).and.match(/; httponly/i).and.match(/; path=\//i).and.not.match(/; domain=/i);
      expect(page.text).to.contain('You are not signed in');
    });

    it('treats a session cookie under the name of an earlier version as a signed-out visitor', async () => {
      const browser = app.browser(FROM_PROXY);
      await signIn(browser, entra, alice);
      expect(browser.cookie('__Host-app.session'), 'signed in under the current name').to.be.a('string');
      for (const name of ['__Host-app.session', '__Host-app.session.sig']) {
        browser.setCookie(name.replace('__Host-', ''), browser.cookie(name)!);
        browser.deleteCookie(name);
      }
      const profile = await browser.get('/profile');
      expect(profile.status).to.equal(302);
      expect(profile.location).to.match(/^\/auth\/signin/);
      const home = await browser.get('/');
      expect(home.status).to.equal(200);
      expect(home.text).to.contain('You are not signed in');
    });
  });

  describe('behind a TLS-terminating proxy that sends no X-Forwarded-Proto', () => {
    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { PUBLIC_URL, TRUST_PROXY: 'true' })));

    it('answers a sign-in with a page that names X-Forwarded-Proto instead of a bare 500', async () => {
      const page = await app.browser({ 'x-forwarded-host': 'app.example' }).get('/auth/signin');
      expect(page.status).to.equal(500);
      expect(page.text).to.contain('X-Forwarded-Proto');
      expect(page.text).to.not.match(/node_modules|at [\w.]+ \(|Error:/);
      expect(app.logs.some((line) => line.includes('X-Forwarded-Proto')), 'logged for the operator').to.equal(true);
    });

    it('answers with that page when the session cookie cannot be set, not a bare 500', async () => {
      const browser = app.browser(FROM_PROXY);
      await signIn(browser, entra, alice);
      const profile = await browser.get('/profile');
      const around = app.browser({ 'x-forwarded-host': 'app.example' });
      around.copyCookiesFrom(browser);
      const page = await around.post('/auth/signout', { _csrf: csrfFrom(profile) }, { headers: { origin: PUBLIC_URL } });
      expect(page.status).to.equal(500);
      expect(page.text).to.contain('X-Forwarded-Proto');
      expect(page.headers.get('location'), 'the redirect to the provider set before the failure').to.equal(null);
    });
  });

  describe('on plain http', () => {
    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));

    it('sends no Strict-Transport-Security and no __Host- cookies', async () => {
      const browser = app.browser();
      const { start, callback } = await signIn(browser, entra, alice);
      expect(start.headers.get('strict-transport-security')).to.equal(null);
      for (const line of [...cookieLines(start), ...cookieLines(callback)]) expect(line).to.not.match(/^__Host-|; secure/i);
    });
  });
});
