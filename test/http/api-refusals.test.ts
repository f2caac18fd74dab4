import { expect } from 'chai';
import nock from 'nock';
import { fakeGraph, GRAPH, signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';

/** What the user sees when the API refuses a request for reasons other than an expired token. */
describe('API refusals on GET /profile', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000d4');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  /** The API answers every call from now on with `status`, `headers` and `body`. */
  function apiAnswers(status: number, headers: Record<string, string>, body: object = {}): void {
    nock.cleanAll();
    entra.install();
    nock(GRAPH).persist().get('/v1.0/me').reply(status, body, headers);
  }

  /** Alice's browser, signed in, and her profile page once the API answers every call with `status` and `headers`. */
  async function profileWhenApiAnswers(status: number, headers: Record<string, string>) {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    apiAnswers(status, headers);
    return { browser, page: await browser.get('/profile') };
  }

  it('a 403 (RFC 6750 insufficient_scope) is a 403 page saying so; the user stays signed in with their tokens', async () => {
    const { browser, page } = await profileWhenApiAnswers(403, {
      'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="User.Read.All", error_description="the token lacks the scope"',
    });

    expect(page.status, page.text).to.equal(403);
    expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(page.text).to.contain('needs a permission you do not have').and.not.match(/not reachable|try again shortly/);
    // The page's header says so too, with the sign-out form, as every page of a signed-in user does.
    expect(page.text).to.contain(`Signed in as ${alice.name}`).and.contain('action="/auth/signout"').and.not.contain('href="/auth/signin"');
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'tokens kept').to.not.equal(undefined);
    nock.cleanAll();
    entra.install();
    fakeGraph([alice]);
    expect((await browser.get('/profile')).status, 'still signed in').to.equal(200);
  });

  for (const status of [429, 503]) {
    it(`a ${status} (the API busy or throttling, as Microsoft Graph does) is a 503 page saying so, with the API's Retry-After; the user stays signed in`, async () => {
      const { browser, page } = await profileWhenApiAnswers(status, { 'Retry-After': '17' });

      expect(page.status, page.text).to.equal(503);
      expect(page.headers.get('retry-after')).to.equal('17');
      expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
      expect(page.text).to.contain('busy right now').and.contain(`Signed in as ${alice.name}`);
      expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'tokens kept').to.not.equal(undefined);
      const logged = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.path === '/profile' && (line.level === 'warn' || line.level === 'error'));
      expect(logged.map((line) => [line.level, line.message, line.retryAfterSeconds]), 'a warning, not an alert').to.deep.equal([['warn', 'the API is busy', 17]]);
      apiAnswers(status, { 'Retry-After': 'soon' });
      const unreadable = await browser.get('/profile');
      expect([unreadable.status, unreadable.headers.get('retry-after')], 'a Retry-After that is no delay is not passed on').to.deep.equal([503, null]);
    });
  }

  it('a 500 from the API is a 502 page: the API failed, not busy', async () => {
    const { page } = await profileWhenApiAnswers(500, { 'Retry-After': '17' });

    expect(page.status, page.text).to.equal(502);
    expect(page.headers.get('retry-after')).to.equal(null);
    expect(page.text).to.contain('not reachable right now');
  });

  it('shows an answer that is one JSON value (a string, a number) as one row, not a row per character', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    nock.cleanAll();
    entra.install();
    nock(GRAPH).get('/v1.0/me').reply(200, JSON.stringify('hello'), { 'content-type': 'application/json' });

    const page = await browser.get('/profile');

    expect(page.status, page.text).to.equal(200);
    expect(page.text).to.match(/<dt>answer<\/dt><dd>hello<\/dd>/).and.not.match(/<dt>0<\/dt>/);
  });

  it('shows a value the API left empty (null, "", []) as none, not as null or []', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    nock.cleanAll();
    entra.install();
    nock(GRAPH).get('/v1.0/me').reply(200, { mobilePhone: null, jobTitle: '', businessPhones: [], officeLocation: 0 });

    const page = await browser.get('/profile');

    expect(page.status, page.text).to.equal(200);
    for (const key of ['mobilePhone', 'jobTitle', 'businessPhones']) expect(page.text).to.contain(`<dt>${key}</dt><dd>none</dd>`);
    expect(page.text, 'a zero is a value').to.contain('<dt>officeLocation</dt><dd>0</dd>');
  });

  // Not a claims request (OpenID Connect Core §5.5: an object whose members are objects); the
  // objects among them made MSAL throw while adding the client capabilities (a 500 on every load).
  for (const claims of ['null', '123', '[]', '{"access_token":"x"}', '{"access_token":null}', '{"id_token":5}', '{"access_token":[1]}', '{"access_token":{"nbf":{"essential":true,"value":"1"}},"id_token":5}']) {
    it(`a claims challenge whose claims are ${claims}, not a claims request, is a plain 401: sign in again, never a 500`, async () => {
      const browser = app.browser();
      await signInWithBrowser(browser, entra, alice);
      apiAnswers(401, { 'WWW-Authenticate': `Bearer error="insufficient_claims", claims="${Buffer.from(claims).toString('base64')}"` });

      const page = await browser.get('/profile');

      expect(page.status, page.text).to.equal(302);
      expect(page.location).to.match(/^https:\/\/login\.microsoftonline\.com\/.*\/oauth2\/v2\.0\/authorize\?/);
      // MSAL sends the client capabilities (cp1) as claims on every sign-in; nothing of the challenge joins them.
      const requested = JSON.parse(new URL(page.location!).searchParams.get('claims') ?? '{}') as { access_token?: object };
      expect(Object.keys(requested.access_token ?? {})).to.deep.equal(['xms_cc']);
    });
  }
});
