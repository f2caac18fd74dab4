import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/** A session row whose text is no JSON object (damaged on disk, edited by hand) is no session, and goes. */
describe('a stored session the app cannot read', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  const bob = fakeUser('bob');
  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' })));
  afterEach(() => stopTestApp(app));

  const rows = () => app.container.cradle.database.prepare('SELECT id, data FROM sessions').all() as Array<{ id: string; data: string }>;

  it('serves the browser as signed out, never an error page, and deletes the row when next seen', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    app.container.cradle.database.prepare('UPDATE sessions SET data = ?').run('{broken');

    const home = await browser.get('/');
    expect(home.status, home.text).to.equal(200);
    expect(home.text).to.contain('href="/auth/signin"');
    expect(rows(), 'deleted, as a session of an unknown shape is').to.deep.equal([]);
    const profile = await browser.get('/profile');
    expect([profile.status, profile.location?.startsWith('/auth/signin')]).to.deep.equal([302, true]);
    expect(app.logs.filter((line) => (JSON.parse(line) as { level: string }).level === 'error')).to.deep.equal([]);
  });

  it("is a session ended as far as a front-channel sign-out is concerned: the cookie it carries is cleared (Front-Channel Logout 1.0 §2)", async () => {
    const aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    await signInWithBrowser(app.browser(), entra, bob, { sid: 'sid-bob' });
    app.container.cradle.database.prepare("UPDATE sessions SET data = '{broken' WHERE sid = 'sid-alice'").run();

    const answer = await aliceBrowser.get('/auth/signout/frontchannel?sid=sid-bob');

    expect(answer.status).to.equal(200);
    for (const name of ['app.session', 'app.session.sig']) {
      const cookie = answer.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
      expect(cookie, `${name} expired`).to.match(/expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    }
  });
});
