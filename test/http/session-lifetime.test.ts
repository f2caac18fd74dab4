import { expect } from 'chai';
import { asValue } from 'awilix';
import { CookieSigningKeys } from '../../src/app/cookie-signing-keys.ts';
import { currentSessionData } from '../../src/app/session-data.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import type { ScriptedBrowser } from '../support/scripted-browser.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const SESSION_KEY = 'test-session-key-0123456789'; // the harness's SESSION_KEYS

describe('session lifetime', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    // A 30-day idle lifetime, so only the absolute one (default 7 days) can end the session here.
    ({ entra, app } = await startAppWithFakeEntra([alice], { SESSION_TTL_SECONDS: String(30 * 86400) }, undefined, {
      now: asValue(() => clock),
    }));
  });
  afterEach(() => stopTestApp(app));

  it('ends a session seven days after sign-in, however active it was, and removes it from the store', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const id = browser.cookie('app.session')!;

    clock += 7 * DAY - HOUR;
    expect((await browser.get('/')).text, 'an hour before the end').to.contain('Signed in as Alice');

    clock += 2 * HOUR;
    const page = await browser.get('/profile');
    expect(page.status).to.equal(302);
    expect(page.location).to.match(/^\/auth\/signin/);
    expect(await app.container.cradle.sessionStore.get(id), 'destroyed').to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
  });

  it('starts the absolute lifetime again at the next sign-in', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    clock += 6 * DAY;
    await signInWithBrowser(browser, entra, alice);
    clock += 6 * DAY;
    expect((await browser.get('/profile')).status).to.equal(200);
  });
});

describe('session lifetime: the limits in force now, on the cookie as on the server', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    // The default idle lifetime (8 hours) and absolute lifetime (7 days).
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, undefined, { now: asValue(() => clock) }));
  });
  afterEach(() => stopTestApp(app));

  /** How long from now (real time) the session cookie set by `page` lives, in ms. */
  function cookieLifetime(page: { headers: Headers }): number | undefined {
    const line = page.headers.getSetCookie().find((cookie) => cookie.startsWith('app.session='));
    const expires = line && /; expires=([^;]+)/i.exec(line)?.[1];
    return expires ? Date.parse(expires) - Date.now() : undefined;
  }

  it('gives a cookie saved in the last hour of the absolute lifetime no more than that hour', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    // Used every 4 hours for a week (each use writes its activity, which keeps the session alive).
    for (let used = 4 * HOUR; used < 7 * DAY - HOUR; used += 4 * HOUR) {
      clock += 4 * HOUR;
      expect((await browser.get('/')).text).to.contain('Signed in as Alice');
    }
    const signedInAt = currentSessionData((await app.container.cradle.sessionStore.get(browser.cookie('app.session')!))!)!.signedInAt;
    clock = signedInAt + 7 * DAY - HOUR; // the activity written now saves the session, and sets the cookie again

    const page = await browser.get('/');

    expect(page.text).to.contain('Signed in as Alice');
    expect(cookieLifetime(page), 'not the 8-hour idle lifetime').to.be.within(HOUR - 60_000, HOUR);
  });

  it('gives a session that signs in again near its absolute end a whole idle lifetime', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    clock += 7 * DAY - HOUR;
    const again = await signInWithBrowser(browser, entra, alice);
    expect(cookieLifetime(again)).to.be.within(8 * HOUR - 60_000, 8 * HOUR);
    clock += 2 * HOUR;
    expect((await browser.get('/profile')).status, 'past the old session\'s absolute end').to.equal(200);
  });

  it('shows the current session on the sessions page as active now, not when its activity was last written', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    clock += 4 * 60_000; // within the 5 minutes activity is written at: the stored time stays the sign-in's
    const page = await browser.get('/sessions');
    expect(page.text).to.contain(`${new Date(clock).toISOString().replace('T', ' ').slice(0, 16)} UTC`);
  });
});

/**
 * A session of alice's as koa-session writes one, in real time: written `writtenAgoMs` ago under an
 * 8-hour idle lifetime, signed in `signedInAgoMs` ago; the browser gets its signed cookie.
 */
async function seededSession(
  app: TestApp,
  entra: FakeEntra,
  browser: ScriptedBrowser,
  id: string,
  { writtenAgoMs, signedInAgoMs = writtenAgoMs }: { writtenAgoMs: number; signedInAgoMs?: number },
) {
  const alice = fakeUser('alice');
  const eightHours = 8 * HOUR;
  const account = { accountId: `${alice.oid}.${entra.tenantId}`, subject: `sub-${alice.oid}`, sid: `sid-${id}`, username: alice.username, name: 'Alice' };
  const data = { account, csrfToken: 'token', signedInAt: Date.now() - signedInAgoMs, lastActiveAt: Date.now() - writtenAgoMs };
  await app.container.cradle.sessionStore.set(id, { ...data, _expire: Date.now() - writtenAgoMs + eightHours, _maxAge: eightHours }, { sid: account.sid, subject: account.subject, accountId: account.accountId }, eightHours);
  browser.setCookie('app.session', id);
  browser.setCookie('app.session.sig', new CookieSigningKeys([SESSION_KEY]).sign(`app.session=${id}`));
}

describe('session lifetime: near the absolute end, in real time', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  it('serves a session idle less than its idle lifetime though longer than its absolute time left, and ends it at the absolute end', async () => {
    const browser = app.browser();
    // Signed in 7 days less 4 hours ago, last used 6 hours ago (of 8): 4 hours left of its week.
    await seededSession(app, entra, browser, 'late', { writtenAgoMs: 6 * HOUR, signedInAgoMs: 7 * DAY - 4 * HOUR });

    const page = await browser.get('/');

    expect(page.text).to.contain('Signed in as Alice');
    const line = page.headers.getSetCookie().find((cookie) => cookie.startsWith('app.session='));
    expect(Date.parse(/; expires=([^;]+)/i.exec(line!)![1]!) - Date.now(), 'the cookie: the 4 hours left, not 8').to.be.within(4 * HOUR - 60_000, 4 * HOUR);
  });
});

describe('session lifetime: SESSION_TTL_SECONDS lowered', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { SESSION_TTL_SECONDS: '3600' })));
  afterEach(() => stopTestApp(app));

  /** A session written `writtenAgoMs` ago under an 8-hour idle lifetime (the setting before). */
  const sessionFromBefore = (browser: ScriptedBrowser, id: string, writtenAgoMs: number) => seededSession(app, entra, browser, id, { writtenAgoMs });

  it('ends a session idle longer than the new idle lifetime, though written under a longer one', async () => {
    const browser = app.browser();
    await sessionFromBefore(browser, 'idle-two-hours', 2 * HOUR);

    expect((await browser.get('/profile')).status).to.equal(302);
    expect(await app.container.cradle.sessionStore.get('idle-two-hours'), 'destroyed').to.equal(undefined);
  });

  it('keeps a session active within it, and gives its cookie the new idle lifetime', async () => {
    const browser = app.browser();
    await sessionFromBefore(browser, 'active', 40 * 60_000);

    const page = await browser.get('/');

    expect(page.text).to.contain('Signed in as Alice');
    const line = page.headers.getSetCookie().find((cookie) => cookie.startsWith('app.session='));
    expect(Date.parse(/; expires=([^;]+)/i.exec(line!)![1]!) - Date.now(), 'an hour, not eight').to.be.within(HOUR - 60_000, HOUR);
  });
});

describe('sessions written by an earlier version', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  /** Stores `data` as the session `id` and gives the browser its signed cookie, as an earlier version did. */
  async function earlierSession(browser: ScriptedBrowser, id: string, data: Record<string, unknown>) {
    const ttl = 8 * HOUR;
    const account = data.account as { sid?: string; subject?: string; accountId?: string } | undefined;
    await app.container.cradle.sessionStore.set(
      id,
      { ...data, _expire: Date.now() + ttl, _maxAge: ttl },
      { sid: account?.sid, subject: account?.subject, accountId: account?.accountId },
      ttl,
    );
    browser.setCookie('app.session', id);
    browser.setCookie('app.session.sig', new CookieSigningKeys([SESSION_KEY]).sign(`app.session=${id}`));
  }

  it('treats a signed-in session without its sign-in time as a signed-out visitor, and deletes it', async () => {
    const browser = app.browser();
    const account = { accountId: `${alice.oid}.${entra.tenantId}`, subject: `sub-${alice.oid}`, sid: 'sid-old', username: alice.username };
    await earlierSession(browser, 'earlier-signed-in', { account, csrfToken: 'earlier-token' });

    const profile = await browser.get('/profile');
    expect(profile.status).to.equal(302);
    expect(profile.location).to.match(/^\/auth\/signin/);
    const home = await browser.get('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.contain('You are not signed in');
    expect(await app.container.cradle.sessionStore.get('earlier-signed-in')).to.equal(undefined);
  });

  it('treats an anonymous session holding a pending sign-in as no sign-in in progress, and deletes it', async () => {
    const browser = app.browser();
    const pendingSignIn = { checks: { state: 'st', nonce: 'no', codeVerifier: 'cv' }, returnTo: '/', scopes: ['User.Read'], startedAt: Date.now() };
    await earlierSession(browser, 'earlier-pending', { pendingSignIn });

    const page = await browser.get('/auth/redirect?code=abc&state=st');
    expect(page.status).to.equal(400);
    expect(page.text).to.contain('No sign-in is in progress');
    expect(await app.container.cradle.sessionStore.get('earlier-pending')).to.equal(undefined);
  });

  for (const [what, account] of [
    ['an account that is not an object', 'alice'],
    ['an account without its id', { username: alice.username }],
  ] as const) {
    it(`treats a session with ${what} as a signed-out visitor, not a 500`, async () => {
      const browser = app.browser();
      await earlierSession(browser, 'odd-shape', { account, csrfToken: 't', signedInAt: Date.now() });
      for (const path of ['/', '/profile']) {
        const page = await browser.get(path);
        expect(page.status, path).to.be.oneOf([200, 302]);
        expect(page.text, path).to.not.contain('Signed in as');
      }
    });
  }
});
