import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import nock from 'nock';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import type { Page } from '../support/scripted-browser.ts';

/** A clear page for the person, and nothing of the server's insides. */
function expectCleanRefusal(page: Page, status: number, says: string | RegExp) {
  expect(page.status, page.text).to.equal(status);
  expect(page.text).to.match(typeof says === 'string' ? new RegExp(says) : says);
  expect(page.text).to.not.match(/node_modules|at [\w.]+ \(|Error:/);
}

/**
 * A form POST with a `Content-Encoding`, over a plain socket, with nock set aside meanwhile: nock
 * sees every socket this process opens and decompresses the bodies it sees, failing on one that is
 * not what it says.
 */
async function rawPost(baseUrl: string, path: string, encoding: string, body: string | Buffer): Promise<{ status: number; text: string }> {
  nock.restore();
  try {
    return await rawPostUnseen(baseUrl, path, encoding, body);
  } finally {
    nock.activate();
  }
}

async function rawPostUnseen(baseUrl: string, path: string, encoding: string, body: string | Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  // Written, not ended: a client that half-closes has its request aborted by Node's server
  // (httpAllowHalfOpen is off) before an answer that takes a turn is written. The server closes.
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/html\r\nConnection: close\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Encoding: ${encoding}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
  );
  socket.write(body);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text };
}

describe('bad input gives a clear 4xx, never a 500 or a stack trace', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  async function startSignIn(path = '/auth/signin', browser = app.browser()) {
    const start = await browser.get(path);
    return { browser, ...entra.authorize(start.location!, alice) };
  }

  it('a callback with no sign-in in progress, which says why that happens and offers to sign in again', async () => {
    const page = await app.browser().get('/auth/redirect?code=abc&state=xyz');
    expectCleanRefusal(page, 400, 'No sign-in is in progress');
    expect(page.text).to.contain('within 10 minutes');
    expect(page.text).to.match(/<a class="button" href="\/auth\/signin">Sign in again<\/a>/);
  });

  it('a callback sent again after the sign-in it finished, which offers no sign-in to the signed-in user', async () => {
    const { browser, code, state } = await startSignIn();
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).status).to.equal(302);
    const again = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expectCleanRefusal(again, 400, 'No sign-in is in progress');
    expect(again.text).to.not.contain('Sign in again');
    expect(again.text).to.contain('Sign out');
  });

  it('a callback without a code', async () => {
    const { browser, state } = await startSignIn();
    expectCleanRefusal(await browser.get(`/auth/redirect?state=${state}`), 400, 'no authorization code');
  });

  it('a callback with the wrong state, which leaves the sign-in in progress to its own callback', async () => {
    const { browser, code, state } = await startSignIn();
    expectCleanRefusal(await browser.get(`/auth/redirect?code=${code}&state=forged`), 400, 'No sign-in is in progress');
    expect(entra.calls.authorization_code, 'no code was redeemed').to.equal(0);
    const callback = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status, callback.text).to.equal(302);
  });

  it('the provider answering error=access_denied', async () => {
    const { browser, state } = await startSignIn();
    const page = await browser.get(`/auth/redirect?error=access_denied&error_description=AADSTS65004&state=${state}`);
    expectCleanRefusal(page, 400, 'cancelled or access was denied');
    expect(page.text, 'a way to start again, not only another account').to.contain('<a class="button" href="/auth/signin">Sign in again</a>');
  });

  it('the provider answering error=access_denied to a sign-in for a page: signing in again, with this account or another, goes back to that page', async () => {
    const { browser, state } = await startSignIn(`/auth/signin?returnTo=${encodeURIComponent('/profile?tab=1')}`);
    const page = await browser.get(`/auth/redirect?error=access_denied&state=${state}`);

    expectCleanRefusal(page, 400, 'cancelled or access was denied');
    expect(page.text).to.contain('<a class="button" href="/auth/signin?returnTo=%2Fprofile%3Ftab%3D1">Sign in again</a>');
    expect(page.text).to.contain('<a href="/auth/signin?returnTo=%2Fprofile%3Ftab%3D1&amp;prompt=login">Sign in with another account</a>');
    const again = await browser.get('/auth/signin?returnTo=%2Fprofile%3Ftab%3D1&prompt=login');
    expect(new URL(again.location!).searchParams.get('prompt')).to.equal('login');
    const callback = await browser.get(`/auth/redirect?${new URLSearchParams(entra.authorize(again.location!, alice))}`);
    expect([callback.status, callback.location]).to.deep.equal([302, '/profile?tab=1']);
  });

  for (const providerError of ['login_required', 'consent_required', 'interaction_required', 'account_selection_required']) {
    it(`the provider answering error=${providerError} (OpenID Connect Core §3.1.2.6): an ordinary sign-in answers it, so the page offers one`, async () => {
      const { browser, state } = await startSignIn();
      const page = await browser.get(`/auth/redirect?error=${providerError}&state=${state}`);
      expectCleanRefusal(page, 400, new RegExp(`Sign-in failed \\(${providerError}\\)`));
      expect(page.text).to.contain('<a class="button" href="/auth/signin">Sign in again</a>');
      expect(page.text).to.contain('<a href="/auth/signin?prompt=login">Sign in with another account</a>');
    });
  }

  it('the provider refusing the request itself (invalid_request): no "Sign in again", which would send the same request', async () => {
    const { browser, state } = await startSignIn();
    const page = await browser.get(`/auth/redirect?error=invalid_request&state=${state}`);
    expectCleanRefusal(page, 400, /Sign-in failed \(invalid_request\)/);
    expect(page.text).to.not.contain('Sign in again');
  });

  /** The operator's warnings that the provider refused the app's own sign-in request. */
  const warnings = () =>
    app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'warn' && line.message === 'the provider refused the sign-in: check the app registration and API_SCOPES');

  it("shows the provider's error code without characters no error code has (RFC 6749 §4.1.2.1)", async () => {
    const { browser, state } = await startSignIn();
    const page = await browser.get(`/auth/redirect?error=%00%1B%5B31m%22x&state=${state}`);
    expectCleanRefusal(page, 400, /Sign-in failed \(\?\?\[31m\?x\)/);
    expect(page.text).to.not.contain('\u0000').and.not.contain('\u001b');
  });

  it("the provider refusing the app's own request (unauthorized_client, invalid_scope): a 400 page, and a warning for the operator with the provider's words", async () => {
    const { browser: cancelled, state: cancelledState } = await startSignIn();
    await cancelled.get(`/auth/redirect?error=access_denied&state=${cancelledState}`);
    expect(warnings(), "a user's own answer is no operator's business").to.deep.equal([]);

    const { browser, state } = await startSignIn();
    const page = await browser.get(`/auth/redirect?error=invalid_scope&error_description=${encodeURIComponent('AADSTS70011: The provided value for scope is not valid.')}&state=${state}`);

    expectCleanRefusal(page, 400, /Sign-in failed \(invalid_scope\)/);
    expect(page.text, 'the description is for the operator').to.not.contain('AADSTS70011');
    expect(warnings().map(({ providerError, providerDescription, heardFrom }) => ({ providerError, providerDescription, heardFrom }))).to.deep.equal([
      { providerError: 'invalid_scope', providerDescription: 'AADSTS70011: The provided value for scope is not valid.', heardFrom: 'authorization response' },
    ]);

    // Anyone with a fresh state can send one: once a minute per error, the words cut short and flat.
    const again = await startSignIn();
    await again.browser.get(`/auth/redirect?error=invalid_scope&state=${again.state}`);
    const forged = await startSignIn();
    await forged.browser.get(`/auth/redirect?error=unauthorized_client&error_description=${encodeURIComponent(`line one\nline two${'x'.repeat(1000)}`)}&state=${forged.state}`);
    const logged = warnings().map(({ providerError, providerDescription }) => ({ providerError, providerDescription }));
    expect(logged.map(({ providerError }) => providerError)).to.deep.equal(['invalid_scope', 'unauthorized_client']);
    expect(logged[1]!.providerDescription).to.have.length(300).and.match(/^line one line two/);
  });

  it('an empty error= beside a code is an error answer, not a success: no code is redeemed', async () => {
    const { browser, code, state } = await startSignIn();
    expectCleanRefusal(await browser.get(`/auth/redirect?code=${code}&state=${state}&error=`), 400, 'reports an error without naming it');
    expect(entra.calls.authorization_code, 'no code was redeemed').to.equal(0);
    expect(warnings(), 'not the set-up warning of a provider refusing the app').to.deep.equal([]);
  });

  it("shows at most 100 characters of the provider's error code", async () => {
    const { browser, state } = await startSignIn();
    const page = await browser.get(`/auth/redirect?error=${'e'.repeat(10_000)}&state=${state}`);
    expectCleanRefusal(page, 400, `Sign-in failed \\(${'e'.repeat(100)}…\\)`);
    expect(page.text).to.not.contain('e'.repeat(101));
  });

  it('the provider answering that it is failing (server_error, temporarily_unavailable) is a 503 "try again", with a way to sign in again', async () => {
    for (const error of ['server_error', 'temporarily_unavailable']) {
      const { browser, state } = await startSignIn();
      const page = await browser.get(`/auth/redirect?error=${error}&state=${state}`);
      expectCleanRefusal(page, 503, 'could not complete your sign-in right now\\. Please try again shortly');
      expect(page.text, 'not "not reachable": the provider answered').to.not.contain('not reachable');
      expect(page.text).to.contain('<a class="button" href="/auth/signin">Sign in again</a>');
    }
    const logged = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((line) => line.level === 'error'), "the provider's failure, not this server's: no alert").to.deep.equal([]);
    expect(logged.filter((line) => line.message === 'sign-in failed at the provider').map((line) => line.level)).to.deep.equal(['warn', 'warn']);
  });

  it('a code the provider refuses (expired, used, of another sign-in): a new sign-in gets a new code, so the page offers one', async () => {
    const { browser, state } = await startSignIn(`/auth/signin?returnTo=${encodeURIComponent('/profile')}`);
    const page = await browser.get(`/auth/redirect?code=not-issued&state=${state}`);
    expectCleanRefusal(page, 400, 'Sign-in failed \\(invalid_grant\\)');
    expect(page.text).to.contain('<a class="button" href="/auth/signin?returnTo=%2Fprofile">Sign in again</a>');
  });

  it('a callback the provider cannot be reached for is a 503 offering a new sign-in: reloading it cannot work, its sign-in is spent', async () => {
    const { browser, code, state } = await startSignIn(`/auth/signin?returnTo=${encodeURIComponent('/profile')}`);
    nock.cleanAll(); // the token endpoint no longer answers: connection refused by nock
    const page = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expectCleanRefusal(page, 503, 'sign-in service is not reachable');
    expect(page.text).to.contain('<a class="button" href="/auth/signin?returnTo=%2Fprofile">Sign in again</a>');
    expectCleanRefusal(await browser.get(`/auth/redirect?code=${code}&state=${state}`), 400, 'No sign-in is in progress');
  });

  it('a "Sign in with another account" that fails at its callback is offered again as one: a plain one would sign the same account in', async () => {
    const { browser, code, state } = await startSignIn(`/auth/signin?returnTo=${encodeURIComponent('/profile')}&prompt=login`);
    nock.cleanAll(); // the token endpoint no longer answers: connection refused by nock
    const page = await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    expectCleanRefusal(page, 503, 'sign-in service is not reachable');
    expect(page.text).to.contain('<a class="button" href="/auth/signin?returnTo=%2Fprofile&amp;prompt=login">Sign in again</a>');
    const cancelled = await startSignIn('/auth/signin?prompt=login');
    const answer = await cancelled.browser.get(`/auth/redirect?error=access_denied&state=${cancelled.state}`);
    expect(answer.text, 'cancelled').to.contain('<a class="button" href="/auth/signin?prompt=login">Sign in again</a>');
    expect(answer.text.match(/href="\/auth\/signin\?prompt=login"/g), 'offered once, not again as "another account"').to.have.length(1);
  });

  it('a callback with a parameter given twice, or a sign-in link with a prompt not taken, offers a sign-in that can go on', async () => {
    const { browser, code, state } = await startSignIn();
    const repeated = await browser.get(`/auth/redirect?code=${code}&code=${code}&state=${state}`);
    expectCleanRefusal(repeated, 400, 'more than one code');
    expect(repeated.text).to.contain('<a class="button" href="/auth/signin">Sign in again</a>');
    const prompt = await browser.get(`/auth/signin?returnTo=${encodeURIComponent('/profile')}&prompt=none`);
    expectCleanRefusal(prompt, 400, 'a prompt other than login');
    expect(prompt.text).to.contain('<a class="button" href="/auth/signin?returnTo=%2Fprofile">Sign in again</a>');
    expectCleanRefusal(await browser.get('/auth/signin?prompt=login&prompt=login'), 400, 'more than one prompt');
  });

  it('a tampered session cookie is a fresh anonymous session', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const value = browser.cookie('app.session')!;
    browser.setCookie('app.session', value.slice(0, -2) + (value.endsWith('aa') ? 'bb' : 'aa'));
    const page = await browser.get('/profile');
    expect(page.status).to.equal(302);
    expect(page.location).to.match(/^\/auth\/signin/);
    const clearedSignature = page.headers.getSetCookie().find((line) => line.startsWith('app.session.sig='));
    expect(clearedSignature, 'its signature cookie cleared').to.match(/^app\.session\.sig=;.*expires=Thu, 01 Jan 1970/);
    expect(clearedSignature, 'with the flags of every other cookie').to.match(/; path=\//).and.match(/; samesite=lax/).and.match(/; httponly/);
    expect(page.headers.getSetCookie().filter((line) => line.startsWith('app.session.sig=')), 'once').to.have.length(1);
    expectCleanRefusal(await browser.get('/auth/redirect?code=x&state=y'), 400, 'No sign-in is in progress');
  });

  it('returnTo pointing off-site is a 400 page: the sign-in does not start, and nothing sends the browser there', async () => {
    for (const returnTo of ['https://evil.example', 'https://evil.example/', '//evil.example', '/\\evil.example', '/..//evil.example']) {
      const page = await app.browser().get(`/auth/signin?returnTo=${encodeURIComponent(returnTo)}`);
      expectCleanRefusal(page, 400, 'outside this site');
      expect(page.headers.get('location'), returnTo).to.equal(null);
      expect(page.headers.getSetCookie(), 'no pending sign-in').to.deep.equal([]);
    }
    expect(entra.calls.authorization_code, 'no code was redeemed').to.equal(0);
  });

  it('a page asked for that the sign-in would refuse as a destination (too long to keep) sends the visitor home afterwards, not to a 400', async () => {
    const browser = app.browser();
    const page = await browser.get(`/profile?q=${'%C3%A9'.repeat(400)}`);
    expect(page.status).to.equal(302);
    expect(page.location).to.equal('/auth/signin?returnTo=%2F');
    expect((await browser.get(page.location!)).status, 'the sign-in starts').to.equal(302);
  });

  it('a page asked for with a backslash in its query is returned to after sign-in (only one in the path would leave the site)', async () => {
    const page = await app.browser().get('/profile?q=a\\b');
    expect(page.status).to.equal(302);
    expect(page.location).to.equal('/auth/signin?returnTo=%2Fprofile%3Fq%3Da%5Cb');
  });

  it('returnTo on this site is where the user lands after signing in', async () => {
    const callback = await signInWithBrowser(app.browser(), entra, alice, { returnTo: '/profile?tab=2' });
    expect(callback.location).to.equal('/profile?tab=2');
  });

  it('a callback repeating a parameter is refused, naming it, and no code is redeemed', async () => {
    for (const [repeated, query] of [
      ['code', (code: string, state: string) => `code=${code}&code=${code}&state=${state}`],
      ['state', (code: string, state: string) => `code=${code}&state=${state}&state=${state}`],
      // An error repeated beside a code must not be read as no error at all.
      ['error', (code: string, state: string) => `code=${code}&state=${state}&error=access_denied&error=x`],
    ] as const) {
      const { browser, code, state } = await startSignIn();
      expectCleanRefusal(await browser.get(`/auth/redirect?${query(code, state)}`), 400, `more than one ${repeated}`);
    }
    expect(entra.calls.authorization_code, 'no code was redeemed').to.equal(0);
  });

  it('a form body in an encoding the app does not read is a 415 (400 at the back-channel Logout URL), one that does not decompress a 400, on every POST', async () => {
    for (const path of ['/auth/signout', '/auth/signout/backchannel', '/sessions/end', '/sessions/everywhere']) {
      const unknown = await rawPost(app.baseUrl, path, 'foo', 'logout_token=abc&_csrf=abc');
      // Back-Channel Logout 1.0 §2.8: every refused logout request is a 400.
      expect(unknown.status, `${path}, an unknown encoding`).to.equal(path === '/auth/signout/backchannel' ? 400 : 415);
      expect(unknown.text).to.not.match(/node_modules|at [\w.]+ \(|Error:/);
      expect((await rawPost(app.baseUrl, path, 'gzip', 'logout_token=abc')).status, `${path}, gzip that is not`).to.equal(400);
      expect((await rawPost(app.baseUrl, path, 'br', 'garbage-garbage-garbage')).status, `${path}, brotli that is not`).to.equal(400);
    }
    const errors = app.logs.map((line) => JSON.parse(line) as { level: string }).filter((line) => line.level === 'error');
    expect(errors, 'a client mistake is not logged as the server failing').to.deep.equal([]);
  });

  it('a sign-in that cannot go on, for a user still signed in, says so and offers to continue where the sign-in was for', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const stale = await browser.get('/auth/redirect?code=x&state=y'); // the callback reloaded
    expect(stale.status).to.equal(400);
    expect(stale.text).to.contain('You are still signed in as').and.contain('<a class="button" href="/">Continue</a>');
    const { state } = await startSignIn(`/auth/signin?returnTo=${encodeURIComponent('/profile?tab=1')}&prompt=login`, browser);
    const cancelled = await browser.get(`/auth/redirect?error=access_denied&state=${state}`);
    expect(cancelled.text).to.contain('<a class="button" href="/profile?tab=1">Continue</a>');
    expect(cancelled.text, 'no "Sign in again" beside it').to.not.contain('>Sign in again<');
  });

  it('an error page is titled by what happened, its first sentence, not by its status (WCAG 2.2 SC 2.4.2)', async () => {
    const browser = app.browser();
    expect((await browser.get('/nope')).text).to.contain('<title>There is no page at this address &middot;');
    expect((await browser.get('/auth/signin?returnTo=%2F%2Fevil.example')).text).to.contain('<title>This sign-in link asks to return to an address outside this site &middot;');
    const { state } = await startSignIn('/auth/signin', browser);
    expect((await browser.get(`/auth/redirect?error=access_denied&state=${state}`)).text, 'a user who pressed Cancel').to.contain('<title>Sign-in was cancelled or access was denied &middot;');
  });

  it('a refusal answered before the session is loaded says nothing of who is signed in, neither "Sign in" nor "Signed in as"', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    const refused = await browser.get('/auth/signout/frontchannel?sid=a&sid=b');
    expect(refused.status).to.equal(400);
    expect(refused.text).to.not.contain('href="/auth/signin"');
    expect(refused.text).to.not.contain('Signed in as');
    const afterSession = await browser.get('/nope');
    expect(afterSession.text, 'the session loaded: the header shows it').to.contain('Signed in as');
  });

  it("a form too large is refused in the app's words, not the body parser's", async () => {
    const send = (path: string, body: string) =>
      fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body, redirect: 'manual' });
    for (const path of ['/auth/signout', '/sessions/end', '/sessions/everywhere']) {
      const tooLarge = await send(path, `_csrf=${'x'.repeat(100_000)}`);
      expect(tooLarge.status, path).to.equal(413);
      expect(await tooLarge.text(), path).to.contain('The form sent is larger than this site accepts.').and.not.contain('entity');
    }
    const logout = await fetch(`${app.baseUrl}/auth/signout/backchannel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${'x'.repeat(100_000)}`,
    });
    expect(logout.status, 'every refused logout request is a 400 (Back-Channel Logout 1.0 §2.8)').to.equal(400);
    expect(await logout.json()).to.deep.include({ error: 'invalid_request', error_description: 'The form sent is larger than this site accepts.' });
  });

  it('reads a gzip form body whatever the case of its coding, and x-gzip as gzip (RFC 9110 §8.4.1)', async () => {
    for (const coding of ['GZIP', 'x-gzip', ' Gzip ']) {
      // No session here: the form is read, then refused as a sign-out form sent from no session (303), not as an unknown encoding.
      const answer = await rawPost(app.baseUrl, '/auth/signout', coding, gzipSync('_csrf=abc'));
      expect(answer.status, coding).to.not.equal(415);
      expect(answer.status, coding).to.be.below(500);
    }
  });

  it('a refusal names what is wrong: a repeated or too long returnTo, a repeated sid or logout_token; an empty returnTo is home', async () => {
    expect((await app.browser().get('/auth/signin?returnTo=')).status, 'an empty returnTo starts a sign-in').to.equal(302);
    expectCleanRefusal(await app.browser().get('/auth/signin?returnTo=%2Fa&returnTo=%2Fb'), 400, 'names more than one page to return to');
    expectCleanRefusal(await app.browser().get(`/auth/signin?returnTo=%2F${'a'.repeat(3000)}`), 400, 'longer than this site allows');
    expectCleanRefusal(await app.browser().get('/auth/signin?returnTo=%2F..%2F%2Fevil.example'), 400, 'outside this site');
    expectCleanRefusal(await app.browser().get('/auth/signout/frontchannel?sid=a&sid=b'), 400, 'more than one sid');
    const repeated = await app.browser().post('/auth/signout/backchannel', { logout_token: ['a.b.c', 'd.e.f'] }, { headers: { accept: 'application/json', origin: '' } });
    expect(repeated.status).to.equal(400);
    expect(JSON.parse(repeated.text)).to.include({ error: 'invalid_request', error_description: 'The request has more than one logout_token.' });
  });

  it('an unknown page is a 404 page', async () => {
    expectCleanRefusal(await app.browser().get('/nope'), 404, 'no page at this address');
  });

  it('a method an address does not take is a 405 page with Allow, not cached', async () => {
    const page = await fetch(`${app.baseUrl}/auth/signout/backchannel`, { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(405);
    expect(page.headers.get('allow')).to.equal('POST');
    expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(page.headers.get('content-type')).to.match(/text\/html/);
    expect(await page.text()).to.match(/does not take GET requests/);
    const json = await fetch(`${app.baseUrl}/profile`, { method: 'DELETE', headers: { accept: 'application/json' } });
    expect(json.status).to.equal(405);
    expect(json.headers.get('allow')).to.match(/GET/);
    expect(await json.json()).to.include({ error: 'invalid_request' });
  });

  it('OPTIONS is answered with the Allow of its address, not cached', async () => {
    const answer = await fetch(`${app.baseUrl}/auth/signout/backchannel`, { method: 'OPTIONS' });
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('allow')).to.equal('POST');
    expect(answer.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(await answer.text()).to.equal('');
    expect(answer.headers.get('content-type'), 'no content, no type').to.equal(null);
    const unknown = await fetch(`${app.baseUrl}/nope`, { method: 'OPTIONS', headers: { accept: 'application/json' } });
    expect(unknown.status).to.equal(404);
    expect(unknown.headers.get('cache-control')).to.equal('no-cache, no-store');
  });

  it('a method outside GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS is a 501 page with Allow, not cached', async () => {
    const page = await fetch(`${app.baseUrl}/profile`, { method: 'PROPFIND', headers: { accept: 'text/html' } });
    expect(page.status).to.equal(501);
    expect(page.headers.get('allow')).to.match(/GET/);
    expect(page.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(await page.text()).to.match(/does not take PROPFIND requests/).and.match(/That did not work/).and.not.match(/on our side|Something went wrong/);
    const json = await fetch(`${app.baseUrl}/profile`, { method: 'PROPFIND', headers: { accept: 'application/json' } });
    expect(json.status).to.equal(501);
    expect(await json.json(), "the client's doing, not the server failing").to.include({ error: 'invalid_request' });
  });

  it('the provider being down is a 503 page, not a hang or a 500', async () => {
    nock.cleanAll(); // discovery no longer answers: connection refused by nock
    const page = await app.browser().get('/auth/signin');
    expectCleanRefusal(page, 503, 'sign-in service is not reachable');
    expect(page.text, 'a way to try again').to.contain('<a class="button" href="/auth/signin">Sign in again</a>');
    const anotherAccount = await app.browser().get(`/auth/signin?returnTo=${encodeURIComponent('/profile')}&prompt=login`);
    expectCleanRefusal(anotherAccount, 503, 'sign-in service is not reachable');
    expect(anotherAccount.text, 'tried again as another account').to.contain('<a class="button" href="/auth/signin?returnTo=%2Fprofile&amp;prompt=login">Sign in again</a>');
  });
});
