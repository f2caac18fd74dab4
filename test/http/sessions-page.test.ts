import { asValue } from 'awilix';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { ACTIVITY_RESOLUTION_MS } from '../../src/app/session-activity.ts';
import { currentSessionData } from '../../src/app/session-data.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom, type Page, type ScriptedBrowser } from '../support/scripted-browser.ts';

const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_ON_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';

/** The handles in a sessions page's per-row forms, in row order. */
function handlesOn(page: Page): string[] {
  return [...page.text.matchAll(/name="session" value="([^"]+)"/g)].map(([, handle]) => handle!);
}

describe('"Your sessions": seeing and ending your own sessions', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let app: TestApp;
  let time: number;
  let laptop: ScriptedBrowser;
  let phone: ScriptedBrowser;
  let bobBrowser: ScriptedBrowser;

  const accountOf = (user: typeof alice) => `${user.oid}.${entra.tenantId}`;
  const sessionIdOf = (browser: ScriptedBrowser) => browser.cookie('app.session')!;
  const auditEvents = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');

  beforeEach(async () => {
    time = Date.now();
    ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, undefined, {
      now: asValue(() => time),
    }));
    laptop = app.browser({ 'user-agent': FIREFOX_ON_WINDOWS });
    phone = app.browser({ 'user-agent': SAFARI_ON_IPHONE });
    bobBrowser = app.browser({ 'user-agent': FIREFOX_ON_WINDOWS });
    await signInWithBrowser(laptop, entra, alice, { sid: 'sid-alice-laptop' });
    time += 60_000;
    await signInWithBrowser(phone, entra, alice, { sid: 'sid-alice-phone' });
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
  });
  afterEach(() => stopTestApp(app));

  it('lists every session of the user with browser, system and times, marks this one, and never shows a session id', async () => {
    const page = await laptop.get('/sessions');

    expect(page.status).to.equal(200);
    expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
    const rows = [...page.text.matchAll(/<tr(?: class="current")?>\s*<td>([^<]+)/g)].map(([, device]) => device!.trim());
    expect(rows).to.deep.equal(['Firefox 128 on Windows', 'Safari 17 on iOS']);
    expect(page.text).to.match(/Firefox 128 on Windows <strong class="mark">This browser<\/strong>/);
    expect(page.text).to.contain(new Date(time - 60_000).toISOString().replace('T', ' ').slice(0, 16));
    expect(handlesOn(page), 'a form for the other session only').to.have.length(1);
    for (const browser of [laptop, phone]) {
      expect(page.text, 'no session id in the page').to.not.contain(sessionIdOf(browser));
      for (const name of browser.cookieNamesFor()) expect(page.text, 'no cookie value in the page').to.not.contain(browser.cookie(name)!);
    }
    expect(page.text, 'nothing of bob').to.not.contain(bob.username);
  });

  it('says a session was signed out only to the browser that just ended one, not to a link to the page', async () => {
    expect((await laptop.get('/sessions?ended=1')).text).to.not.contain('That session is signed out');
  });

  it('does not say it to the next account signed in on that browser, when the note was never read', async () => {
    const page = await laptop.get('/sessions');
    const [phoneHandle] = handlesOn(page);
    expect((await laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! })).status).to.equal(303); // not followed: the tab closed
    await signInWithBrowser(laptop, entra, bob, { sid: 'sid-bob-laptop' });
    expect((await laptop.get('/sessions')).text).to.not.contain('That session is signed out');
  });

  it("names each row's sign-out button by its device and sign-in time for a screen reader, and the column too", async () => {
    const page = await laptop.get('/sessions');
    const signedIn = new Date(time).toISOString().replace('T', ' ').slice(0, 16);
    expect(page.text).to.contain(`<button type="submit" aria-label="Sign out this session: Safari 17 on iOS, signed in ${signedIn} UTC">Sign out this session</button>`);
    expect(page.text).to.contain('<th><span class="visually-hidden">Sign out</span></th>');
  });

  it("a refused form of the page (a session not the user's, a stale form) offers the way back to it, whose forms are fresh", async () => {
    const page = await laptop.get('/sessions');
    const notYours = await laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const stale = await laptop.post('/sessions/everywhere', { _csrf: 'stale' });
    for (const refused of [notYours, stale]) {
      expect(refused.status).to.be.oneOf([403, 404]);
      expect(refused.text).to.contain('<a class="button" href="/sessions">Back to your sessions</a>');
    }
    expect((await laptop.get('/profile')).status, 'still signed in').to.equal(200);
  });

  it('leaves out a session the app no longer serves: one idle longer than the idle lifetime in force', async () => {
    // The phone's session as an instance with a 24 h SESSION_TTL_SECONDS wrote it 9 hours ago: under
    // the 8 h in force here its own next request is signed out, so the page must not offer it.
    const { sessionStore } = app.container.cradle;
    const phoneSession = sessionIdOf(phone);
    const stored = (await sessionStore.get(phoneSession))!;
    const { account } = currentSessionData(stored)!;
    const day = 24 * 3600_000;
    const writtenEarlier = { ...stored, _maxAge: day, _expire: Date.now() - 9 * 3600_000 + day };
    expect(await sessionStore.update(phoneSession, writtenEarlier, { sid: account.sid, subject: account.subject, accountId: account.accountId }, day)).to.equal(true);

    const page = await laptop.get('/sessions');

    expect(page.status).to.equal(200);
    expect(page.text).to.not.contain('Safari 17 on iOS 17.2');
    expect(handlesOn(page), 'no form for a session that has ended').to.deep.equal([]);
    expect((await phone.get('/profile')).status, "the phone's own request is signed out").to.equal(302);
  });

  it('is linked from the header when signed in, and asks a visitor to sign in first', async () => {
    expect((await laptop.get('/')).text).to.contain('href="/sessions"');
    const visitor = await app.browser().get('/sessions');
    expect(visitor.status).to.equal(302);
    expect(visitor.location).to.equal('/auth/signin?returnTo=%2Fsessions');
  });

  it('ends the other session only: that browser is signed out, this one keeps its tokens and calls the API', async () => {
    const page = await laptop.get('/sessions');
    const [phoneHandle] = handlesOn(page);

    const answer = await laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! });

    expect(answer.status).to.equal(303);
    expect(answer.location).to.equal('/sessions');
    const phoneProfile = await phone.get('/profile');
    expect(phoneProfile.status).to.equal(302);
    expect(phoneProfile.location).to.match(/^\/auth\/signin/);
    expect((await laptop.get('/profile')).status, 'this browser still calls the API').to.equal(200);
    expect(await app.container.cradle.tokenStore.read(accountOf(alice)), 'tokens stay').to.not.equal(undefined);
    const after = await laptop.get('/sessions');
    expect(handlesOn(after)).to.deep.equal([]);
    expect(after.text, 'the page says so').to.contain('That session is signed out here');
    expect((await laptop.get('/sessions')).text, 'once: a reload says nothing of it').to.not.contain('That session is signed out');
    expect(auditEvents()).to.have.length(1);
    expect(auditEvents()[0]).to.deep.include({
      channel: 'sessions-page',
      outcome: 'removed',
      subject: `sub-${alice.oid}`,
      sessionsEnded: 1,
      partitionRemoved: false,
      revocation: 'not-attempted',
      journaled: false,
    });
    expect(auditEvents()[0]!.requestId).to.equal(answer.headers.get('x-request-id'));
  });

  it('answers the same "Sign out this session" sent twice (a double click) as done both times, ending the session once; bob replaying it still gets 404', async () => {
    const page = await laptop.get('/sessions');
    const [phoneHandle] = handlesOn(page);

    const answers = [
      await laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! }),
      await laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! }),
    ];

    expect(answers.map(({ status, location }) => ({ status, location }))).to.deep.equal([
      { status: 303, location: '/sessions' },
      { status: 303, location: '/sessions' },
    ]);
    expect(auditEvents(), 'one sign-out').to.have.length(1);
    const bobPage = await bobBrowser.get('/sessions');
    expect((await bobBrowser.post('/sessions/end', { _csrf: csrfFrom(bobPage), session: phoneHandle! })).status).to.equal(404);
    time += 61_000;
    expect((await laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! })).status, 'a minute on, a stale form').to.equal(404);
  });

  it('answers the same form sent again while the first is still ending the session as done too, and ends it once', async () => {
    const page = await laptop.get('/sessions');
    const [phoneHandle] = handlesOn(page);
    const { sessionStore } = app.container.cradle;
    const destroy = sessionStore.destroy.bind(sessionStore);
    // A store across the network: the first POST is still ending the session when the second arrives.
    sessionStore.destroy = async (id: string) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return destroy(id);
    };

    const first = laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = laptop.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! });

    expect((await Promise.all([first, second])).map(({ status }) => status)).to.deep.equal([303, 303]);
    expect(auditEvents(), 'one sign-out').to.have.length(1);
    expect((await phone.get('/profile')).status, 'the phone is signed out').to.equal(302);
  });

  it("does not let bob end alice's session with a handle he replays or guesses", async () => {
    const alicePage = await laptop.get('/sessions');
    const [phoneHandle] = handlesOn(alicePage);
    const bobPage = await bobBrowser.get('/sessions');

    const replayed = await bobBrowser.post('/sessions/end', { _csrf: csrfFrom(bobPage), session: phoneHandle! });
    const guessed = await bobBrowser.post('/sessions/end', { _csrf: csrfFrom(bobPage), session: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const malformed = await bobBrowser.post('/sessions/end', { _csrf: csrfFrom(bobPage), session: sessionIdOf(phone) });
    const withAlicesForm = await bobBrowser.post('/sessions/end', { _csrf: csrfFrom(alicePage), session: phoneHandle! });

    expect([replayed.status, guessed.status, malformed.status, withAlicesForm.status]).to.deep.equal([404, 404, 400, 403]);
    expect((await phone.get('/profile')).status, "alice's phone is still signed in").to.equal(200);
    expect((await bobBrowser.get('/profile')).status).to.equal(200);
    expect(auditEvents()).to.deep.equal([]);
  });

  it('refuses to end the current session through the row form, and a form without the CSRF token or from another site', async () => {
    const page = await phone.get('/sessions');
    const [laptopHandle, ...more] = handlesOn(page);
    expect(more, 'no form for the current row').to.deep.equal([]);
    const [phoneHandle] = handlesOn(await laptop.get('/sessions'));

    const own = await phone.post('/sessions/end', { _csrf: csrfFrom(page), session: phoneHandle! });
    const noToken = await phone.post('/sessions/end', { session: laptopHandle! });
    const crossSite = await phone.post('/sessions/everywhere', { _csrf: csrfFrom(page) }, { headers: { origin: 'https://evil.example' } });

    expect([own.status, noToken.status, crossSite.status]).to.deep.equal([400, 403, 403]);
    expect((await laptop.get('/profile')).status).to.equal(200);
    expect((await phone.get('/profile')).status).to.equal(200);
  });

  it('"Sign out everywhere" ends every session of the user, removes the tokens and continues to the provider', async () => {
    // Alice's partition holds the ID token of her latest sign-in (the phone's), which replaced the
    // laptop's: it names the phone's provider session, so the laptop's sign-out goes without a hint.
    const [, phoneIdToken] = entra.issuedIdTokens.filter((idToken) => decodeJwt(idToken).sub === `sub-${alice.oid}`);
    expect(decodeJwt(phoneIdToken!)).to.include({ sid: 'sid-alice-phone', aud: entra.clientId });
    const answer = await laptop.post('/sessions/everywhere', { _csrf: csrfFrom(await laptop.get('/sessions')) });

    expect(answer.status).to.equal(302);
    const endSession = new URL(answer.location!);
    expect(endSession.origin + endSession.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(endSession.searchParams.get('logout_hint')).to.equal(`hint-${alice.oid}`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).to.equal(`${app.baseUrl}/auth/signed-out`);
    expect(endSession.searchParams.get('client_id')).to.equal(entra.clientId);
    expect(endSession.searchParams.get('id_token_hint'), "not the phone's ID token").to.equal(null);
    for (const browser of [laptop, phone]) expect((await browser.get('/profile')).status).to.equal(302);
    expect(await app.container.cradle.tokenStore.read(accountOf(alice))).to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySubject(`sub-${alice.oid}`)).to.deep.equal([]);
    expect((await bobBrowser.get('/profile')).status, 'bob untouched').to.equal(200);
    expect(auditEvents()[0]).to.include({ channel: 'sessions-page', sessionsEnded: 2, partitionRemoved: true, revocation: 'unsupported' });
  });

  it('"Sign out everywhere" from the device that signed in last carries its own ID token as the hint', async () => {
    const [, phoneIdToken] = entra.issuedIdTokens.filter((idToken) => decodeJwt(idToken).sub === `sub-${alice.oid}`);

    const answer = await phone.post('/sessions/everywhere', { _csrf: csrfFrom(await phone.get('/sessions')) });

    expect(new URL(answer.location!).searchParams.get('id_token_hint')).to.equal(phoneIdToken);
    for (const browser of [laptop, phone]) expect((await browser.get('/profile')).status).to.equal(302);
  });

  it('"Sign out everywhere" pressed after the session ended goes on to the provider\'s sign-out, as "Sign out" does, not a 403', async () => {
    const laptopPage = await laptop.get('/sessions');
    // The phone signs out everywhere first: the laptop's session ends with it, its page stays open.
    expect((await phone.post('/sessions/everywhere', { _csrf: csrfFrom(await phone.get('/sessions')) })).status).to.equal(302);

    const again = await laptop.post('/sessions/everywhere', { _csrf: csrfFrom(laptopPage) });

    expect(again.status, 'not "This form has expired"').to.equal(302);
    expect(again.location).to.equal('/auth/signout/provider');
    expect(again.headers.get('cache-control')).to.equal('no-cache, no-store');
    const endSession = new URL((await laptop.get(again.location!)).location!);
    expect(endSession.origin + endSession.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(endSession.searchParams.get('id_token_hint'), 'no hint: the provider asks the user to confirm').to.equal(null);
    const crossSite = await app.browser().post('/sessions/everywhere', {}, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status, 'a foreign Origin is still refused').to.equal(403);
    expect(auditEvents(), "the phone's sign-out only: nothing was left here to sign out").to.have.length(1);
    expect((await bobBrowser.get('/profile')).status, 'bob untouched').to.equal(200);
  });

  it('"Sign out this session" pressed after this browser\'s own session ended sends the user to sign in and back to the page, not a 403', async () => {
    const phonePage = await phone.get('/sessions');
    const [laptopHandle] = handlesOn(phonePage);
    const [phoneHandle] = handlesOn(await laptop.get('/sessions'));
    expect((await laptop.post('/sessions/end', { _csrf: csrfFrom(await laptop.get('/sessions')), session: phoneHandle! })).status).to.equal(303);

    const stale = await phone.post('/sessions/end', { _csrf: csrfFrom(phonePage), session: laptopHandle! });

    expect(stale.status, 'not "This form has expired"').to.equal(303);
    expect(stale.location).to.equal(`/auth/signin?returnTo=${encodeURIComponent('/sessions')}`);
    expect((await laptop.get('/profile')).status, 'the laptop, named by the stale form, still signed in').to.equal(200);
    const crossSite = await app.browser().post('/sessions/end', { session: laptopHandle! }, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status, 'a foreign Origin is still refused').to.equal(403);
  });

  it('records last activity at most once per 5 minutes', async () => {
    const storedActivity = async (browser: ScriptedBrowser) =>
      currentSessionData((await app.container.cradle.sessionStore.get(sessionIdOf(browser)))!)!.lastActiveAt;
    const signedInAt = await storedActivity(laptop);

    time = signedInAt! + ACTIVITY_RESOLUTION_MS - 1000;
    await laptop.get('/');
    expect(await storedActivity(laptop), 'not yet: no write').to.equal(signedInAt);

    time += 1000;
    await laptop.get('/');
    expect(await storedActivity(laptop)).to.equal(time);
  });
});
