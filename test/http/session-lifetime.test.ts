import { expect } from 'chai';
import { asValue } from 'awilix';
import { CookieSigningKeys } from '../../src/app/cookie-signing-keys.ts';
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
