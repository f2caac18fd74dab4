import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/** A session row whose text is no JSON object (damaged on disk, edited by hand) is no session, and goes. */
describe('a stored session the app cannot read', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' })));
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
});
