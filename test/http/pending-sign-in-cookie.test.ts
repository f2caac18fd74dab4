import { expect } from 'chai';
import { asValue } from 'awilix';
import nock from 'nock';
import { MAX_PENDING_SIGN_INS, PENDING_SIGN_INS_BYTES } from '../../src/app/pending-sign-in-cookie.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, pendingSignInCookies, signInWithBrowser, startAppWithFakeEntra, startTestApp, stopTestApp, type TestApp } from '../support/app-harness.ts';
import type { Page, ScriptedBrowser } from '../support/scripted-browser.ts';

const PENDING = 'app.session.pending';

/** The one pending sign-in cookie `browser` holds, by name. */
function onlyPending(browser: ScriptedBrowser): string {
  const names = pendingSignInCookies(browser);
  expect(names, 'pending sign-in cookies').to.have.length(1);
  return names[0]!;
}

function sessionRows(app: TestApp): number {
  return (app.container.cradle.database.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
}

function setCookie(page: Page, name: string): string | undefined {
  return page.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

/** The Set-Cookie lines of pending sign-in cookies (`<PENDING>.<digest of state>`). */
function pendingLines(page: Page): string[] {
  return page.headers.getSetCookie().filter((line) => line.startsWith(`${PENDING}.`));
}

describe('a visitor who has not signed in leaves nothing on the server', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, undefined, {
      now: asValue(() => clock),
    }));
  });
  afterEach(() => stopTestApp(app));

  it('keeps no session for sign-ins started and never finished, and still signs in', async () => {
    for (let i = 0; i < 50; i++) {
      const start = await app.browser().get('/auth/signin');
      expect(start.status).to.equal(302);
    }
    expect(sessionRows(app), 'sessions after 50 cookie-less sign-in starts').to.equal(0);

    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { returnTo: '/profile' });
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
    expect(sessionRows(app), 'the one session, created at sign-in').to.equal(1);
    const profile = await browser.get('/profile');
    expect(profile.status).to.equal(200);
    expect(profile.text).to.contain(alice.username);
  });

  it('keeps the pending sign-in in a sealed, HttpOnly, SameSite=Lax cookie that lives ten minutes', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const [line] = pendingLines(start);
    expect(line, 'the pending sign-in cookie').to.be.a('string');
    expect(line).to.match(/; httponly/i).and.match(/; samesite=lax/i).and.match(/; path=\//i);
    expect(line).to.not.match(/; secure/i, 'not Secure on http');
    const expires = Date.parse(/; expires=([^;]+)/i.exec(line!)![1]!);
    expect(expires - Date.now()).to.be.within(9 * 60_000, 10 * 60_000 + 1000);
    const authorize = new URL(start.location!).searchParams;
    const value = decodeURIComponent(browser.cookie(onlyPending(browser))!);
    for (const secret of [authorize.get('state')!, authorize.get('nonce')!, '/profile']) {
      expect(value, 'the cookie shows nothing of the pending sign-in').to.not.contain(secret);
    }
    expect(browser.cookie('app.session'), 'no session cookie before sign-in').to.equal(undefined);
  });

  it('fits the longest destination it accepts into a cookie a browser keeps, and refuses a longer one', async () => {
    const longest = `/${'\u00e9'.repeat(341)}a`; // 2048 characters once percent-encoded
    const start = await app.browser().get(`/auth/signin?returnTo=${encodeURIComponent(longest)}`);
    expect(start.status).to.equal(302);
    // RFC 6265 §6.1: browsers keep cookies of at least 4096 bytes (name, value and attributes).
    expect(pendingLines(start)[0]!.split(';')[0]!.length).to.be.below(4096);

    const tooLong = await app.browser().get(`/auth/signin?returnTo=${encodeURIComponent(`${longest}a`)}`);
    expect(tooLong.status).to.equal(400);
    expect(pendingLines(tooLong), 'no sign-in started').to.deep.equal([]);
  });

  it('clears the pending sign-in cookie on the callback that names it, whatever the outcome', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin');
    const name = onlyPending(browser);
    const { state } = entra.authorize(start.location!, alice);
    const refused = await browser.get(`/auth/redirect?code=not-a-code&state=${state}&iss=https%3A%2F%2Fevil.example`);
    expect(refused.status).to.equal(400);
    expect(setCookie(refused, name)).to.match(/expires=Thu, 01 Jan 1970/i);
    expect(pendingSignInCookies(browser)).to.deep.equal([]);
    const again = await browser.get(`/auth/redirect?code=not-a-code&state=${state}`);
    expect(again.status).to.equal(400);
    expect(again.text, 'one attempt per pending sign-in').to.contain('No sign-in is in progress');
  });

  it('redeems the code once when the browser sends the same callback again, at once or after the first answer was lost', async () => {
    for (const together of [true, false]) {
      const browser = app.browser();
      const start = await browser.get('/auth/signin');
      const { code, state } = entra.authorize(start.location!, alice);
      const resent = app.browser(); // the same request with the same cookies: a retried GET, a second navigation
      resent.copyCookiesFrom(browser);
      const callback = `/auth/redirect?code=${code}&state=${state}`;
      const redemptionsBefore = entra.calls.authorization_code;
      const answers = together
        ? await Promise.all([browser.get(callback), resent.get(callback)])
        : [await browser.get(callback), await resent.get(callback)];
      expect(answers.map((page) => page.status).sort(), `together: ${together}`).to.deep.equal([302, 400]);
      expect(answers.find((page) => page.status === 400)!.text).to.contain('No sign-in is in progress');
      expect(entra.calls.authorization_code - redemptionsBefore, 'code redemptions').to.equal(1);
    }
  });

  it('keeps a sign-in in progress when a callback names another state, or none', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const { code, state } = entra.authorize(start.location!, alice);
    for (const stray of ['/auth/redirect?code=x&state=forged', '/auth/redirect?code=x', '/auth/redirect?error=access_denied']) {
      const page = await browser.get(stray);
      expect(page.status, stray).to.equal(400);
      expect(page.text).to.contain('No sign-in is in progress');
      expect(pendingLines(page), `${stray} clears nothing`).to.deep.equal([]);
    }
    const callback = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
  });

  it('finishes two sign-ins started in one browser, in either order', async () => {
    for (const order of [[0, 1], [1, 0]]) {
      const browser = app.browser();
      const starts = [await browser.get('/auth/signin?returnTo=%2Fprofile'), await browser.get('/auth/signin?returnTo=%2Fsessions')];
      expect(pendingSignInCookies(browser), 'one cookie per sign-in in progress').to.have.length(2);
      const answers = starts.map((start) => entra.authorize(start.location!, alice));
      const first = await browser.get(`/auth/redirect?code=${answers[order[0]!]!.code}&state=${answers[order[0]!]!.state}`);
      expect(first.status, first.text).to.equal(302);
      expect(first.location).to.equal(order[0] === 0 ? '/profile' : '/sessions');
      const second = await browser.get(`/auth/redirect?code=${answers[order[1]!]!.code}&state=${answers[order[1]!]!.state}`);
      expect(second.status, second.text).to.equal(302);
      expect(second.location).to.equal(order[1] === 0 ? '/profile' : '/sessions');
      expect(pendingSignInCookies(browser), 'both spent').to.deep.equal([]);
      expect((await browser.get('/profile')).status).to.equal(200);
    }
  });

  it('keeps at most three sign-ins in progress in one browser, dropping the oldest', async () => {
    const browser = app.browser();
    const starts: Page[] = [];
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      starts.push(await browser.get(`/auth/signin?returnTo=%2Fpage${i}`));
    }
    expect(pendingSignInCookies(browser)).to.have.length(MAX_PENDING_SIGN_INS);
    const oldest = entra.authorize(starts[1]!.location!, alice);
    const dropped = await browser.get(`/auth/redirect?code=${oldest.code}&state=${oldest.state}`);
    expect(dropped.status).to.equal(400);
    expect(dropped.text).to.contain('No sign-in is in progress');
    const newest = entra.authorize(starts[4]!.location!, alice);
    const kept = await browser.get(`/auth/redirect?code=${newest.code}&state=${newest.state}`);
    expect(kept.status, kept.text).to.equal(302);
    expect(kept.location).to.equal('/page4');
  });

  it("keeps the browser's sign-ins in progress within 6,000 bytes, so two apps on one host name stay within Node's 16 KB of headers", async () => {
    const browser = app.browser();
    const longest = `/${'a'.repeat(2047)}`;
    const starts: Page[] = [];
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      starts.push(await browser.get(`/auth/signin?returnTo=${encodeURIComponent(longest)}`));
    }
    const held = pendingSignInCookies(browser);
    const bytes = held.reduce((sum, name) => sum + name.length + browser.cookie(name)!.length + 3, 0);
    expect(bytes).to.be.at.most(PENDING_SIGN_INS_BYTES);
    expect(held.length, 'the newest, and what fits beside it').to.be.within(1, 2);
    const newest = entra.authorize(starts[2]!.location!, alice);
    const kept = await browser.get(`/auth/redirect?code=${newest.code}&state=${newest.state}`);
    expect([kept.status, kept.location]).to.deep.equal([302, longest]);

    // Ordinary ones (a short destination) still fit three at a time, beside a long one too.
    const other = app.browser();
    await other.get(`/auth/signin?returnTo=${encodeURIComponent(longest)}`);
    for (let i = 0; i < 2; i++) {
      clock += 1000;
      await other.get(`/auth/signin?returnTo=%2Fpage${i}`);
    }
    expect(pendingSignInCookies(other)).to.have.length(MAX_PENDING_SIGN_INS);
  });

  it('finishes a sign-in started before the upgrade, kept in the unnamed cookie of earlier releases', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin?returnTo=%2Fprofile');
    const name = onlyPending(browser);
    browser.setCookie(PENDING, browser.cookie(name)!);
    browser.deleteCookie(name);
    const { code, state } = entra.authorize(start.location!, alice);
    const callback = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
    expect(setCookie(callback, PENDING), 'the unnamed cookie is cleared').to.match(/expires=Thu, 01 Jan 1970/i);
  });

  it("leaves alone another app's cookies on this host whose names begin with this app's pending name (its SESSION_COOKIE_NAME `app.session.pending`)", async () => {
    const browser = app.browser();
    for (const name of [PENDING, `${PENDING}.sig`, `${PENDING}.other`, `${PENDING}.aaaaaaaaaaaaaaaaa`]) browser.setCookie(name, 'another-apps-value');
    for (let i = 0; i < MAX_PENDING_SIGN_INS + 1; i++) await browser.get(`/auth/signin?returnTo=%2Fpage${i}`);
    for (const name of [PENDING, `${PENDING}.sig`, `${PENDING}.other`, `${PENDING}.aaaaaaaaaaaaaaaaa`]) {
      expect(browser.cookie(name), name).to.equal('another-apps-value');
    }
    expect(pendingSignInCookies(browser).filter((name) => /\.[A-Za-z0-9_-]{16}$/.test(name))).to.have.length(MAX_PENDING_SIGN_INS);
  });

  it('refuses a callback whose pending sign-in cookie was tampered with', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin');
    const { code, state } = entra.authorize(start.location!, alice);
    const name = onlyPending(browser);
    const value = browser.cookie(name)!;
    const flipped = value.slice(0, 20) + (value[20] === 'A' ? 'B' : 'A') + value.slice(21);
    browser.setCookie(name, flipped);
    const page = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(page.status).to.equal(400);
    expect(page.text).to.contain('No sign-in is in progress');
    expect(entra.calls.authorization_code, 'no code was redeemed').to.equal(0);
  });

  it('refuses a callback whose pending sign-in cookie is older than ten minutes', async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin');
    const { code, state } = entra.authorize(start.location!, alice);
    clock += 10 * 60_000 + 1000; // the browser would have dropped it; a replayed copy is refused too
    const page = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(page.status).to.equal(400);
    expect(page.text).to.contain('No sign-in is in progress');
  });

  it('refuses a callback from another browser that has no pending sign-in cookie', async () => {
    const start = await app.browser().get('/auth/signin');
    const { code, state } = entra.authorize(start.location!, alice);
    const page = await app.browser().get(`/auth/redirect?code=${code}&state=${state}`);
    expect(page.status).to.equal(400);
    expect(page.text).to.contain('No sign-in is in progress');
  });
});

describe('a pending sign-in needs no shared state between instances', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let older: TestApp;
  let rotated: TestApp;

  before(async () => {
    blockNetwork();
    entra = new FakeEntra().install();
    fakeGraph([alice]);
    older = await startTestApp(entra, { SESSION_KEYS: 'old-session-key-0123456789' });
    rotated = await startTestApp(entra, { SESSION_KEYS: 'new-session-key-0123456789,old-session-key-0123456789' });
  });
  after(async () => {
    await Promise.all([older.close(), rotated.close()]);
    nock.cleanAll();
  });

  it('finishes on an instance with rotated keys a sign-in started under the older key', async () => {
    const onOlder = older.browser();
    const start = await onOlder.get('/auth/signin?returnTo=%2Fprofile');
    const { code, state } = entra.authorize(start.location!, alice);
    const onRotated = rotated.browser();
    onRotated.copyCookiesFrom(onOlder);
    const callback = await onRotated.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
    expect((await onRotated.get('/profile')).status).to.equal(200);
  });
});
