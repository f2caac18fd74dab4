import { asValue } from 'awilix';
import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

describe('the stylesheet: public and cached, so never with a session cookie', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let time: number;
  beforeEach(async () => {
    time = Date.now();
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, undefined, { now: asValue(() => time) }));
  });
  afterEach(() => stopTestApp(app));

  it('is served without Set-Cookie even when a session write is due, which the next page then makes', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const sessionId = browser.cookie('app.session')!;
    time += 5 * 60_000 + 1; // the session's "last active" write is due on its next request
    const css = await browser.get('/app.css');
    expect(css.status).to.equal(200);
    expect(css.headers.get('content-type')).to.match(/^text\/css/);
    expect(css.headers.get('cache-control')).to.equal('public, max-age=3600');
    expect(css.headers.getSetCookie(), 'no cookie on a cacheable answer').to.deep.equal([]);
    const page = await browser.get('/');
    expect(page.headers.getSetCookie().join('\n'), 'the page carries the write').to.contain(sessionId);
  });

  it('tells a browser that asks again whether it changed (ETag, 304) instead of sending it again', async () => {
    const first = await app.browser().get('/app.css');
    const etag = first.headers.get('etag');
    expect(etag).to.match(/^"[\w-]{22}"$/);
    const again = await app.browser().get('/app.css', { headers: { 'if-none-match': etag! } });
    expect(again.status).to.equal(304);
    expect(again.text).to.equal('');
    expect((await app.browser().get('/app.css', { headers: { 'if-none-match': '"another"' } })).status).to.equal(200);
  });

  it('gives every page an empty icon, so that no browser asks for /favicon.ico (through the session)', async () => {
    expect((await app.browser().get('/')).text).to.contain('<link rel="icon" href="data:,">');
  });

  it('answers other methods with 405 and Allow', async () => {
    const answer = await app.browser().post('/app.css', {});
    expect(answer.status).to.equal(405);
    expect(answer.headers.get('allow')).to.contain('GET');
  });
});
