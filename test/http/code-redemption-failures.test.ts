import { expect } from 'chai';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';

/**
 * The provider failing the code redemption, after the user signed in there: reached but failing is
 * "could not complete your sign-in", out of reach is "not reachable". Either is a 503 with a way to
 * sign in again (the code is spent), stores nothing, and is logged as an error: unlike the
 * callback's own `error=server_error`, no visitor can cause it.
 */
describe('the provider failing the code redemption', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000e1');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { HTTP_TIMEOUT_MS: '300' })));
  afterEach(() => stopTestApp(app));

  async function failedSignIn(answer: [number, unknown] | 'never') {
    entra.tokenAnswer = (form, given) =>
      form.get('grant_type') !== 'authorization_code' ? given : answer === 'never' ? new Promise<never>(() => {}) : answer;
    const page = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-a' });
    expect(page.status, page.text).to.equal(503);
    expect(page.text).to.contain('<a class="button" href="/auth/signin">Sign in again</a>');
    expect(page.text).to.not.match(/node_modules|at [\w.]+ \(|Error:/);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'no tokens').to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-a'), 'no session').to.deep.equal([]);
    const logged = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((line) => line.message === 'request failed').map((line) => line.level), 'an alert').to.deep.equal(['error']);
    return page.text;
  }

  for (const [what, answer] of [
    ['a 500 with server_error', [500, { error: 'server_error', error_description: 'AADSTS90033: A transient error has occurred.' }]],
    ['a 400 with temporarily_unavailable', [400, { error: 'temporarily_unavailable' }]],
    ["a gateway's 502 page", [502, '<html><body>Bad Gateway</body></html>']],
    ['a 429 with no OAuth error', [429, {}]],
    ['a redirect (never followed: the code and the client secret would go with it)', [307, {}]],
    ['a 503 naming an error of its own (MSAL read a 5xx by its error code alone)', [503, { error: 'service_unavailable' }]],
    ['a 502 naming an error of its own', [502, { error: 'bad_gateway' }]],
    ["a 500 from a framework's error page, with a status in its body", [500, { status: 500, error: 'Internal Server Error', path: '/token' }]],
    ['a 429 naming an error', [429, { error: 'too_many_requests' }]],
    ['a 200 with an empty error (none to MSAL: it took the answer for a nonce mismatch)', [200, { error: '' }]],
    ['a 400 with an empty error', [400, { error: '' }]],
    ['a 200 with no access token', [200, { token_type: 'Bearer', expires_in: 3600 }]],
    ['a 200 with an empty object (MSAL took it for a nonce mismatch: a forged sign-in)', [200, {}]],
    ["a gateway's 200 with a message", [200, { message: 'Service Unavailable' }]],
    ['a 200 with a JSON array', [200, []]],
    ["a 401 invalid_client (this app's secret wrong or expired)", [401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }]],
    ['a 400 unauthorized_client (the app disabled)', [400, { error: 'unauthorized_client', error_description: 'AADSTS7000112: Application is disabled.' }]],
  ] as const) {
    it(`says the sign-in could not be completed for ${what}: the provider answered`, async () => {
      const text = await failedSignIn(answer as [number, unknown]);
      expect(text).to.contain('could not complete your sign-in right now');
      expect(text).to.not.contain('not reachable');
    });
  }

  it("logs the provider's own words with a 5xx it names an error in: its description, trace and correlation ids", async () => {
    const description = 'AADSTS90033: A transient error has occurred. Trace ID: 1111-trace Correlation ID: 2222-corr';
    await failedSignIn([503, { error: 'server_error', error_description: description, trace_id: '1111-trace', correlation_id: '2222-corr' }]);
    const failed = app.logs.filter((line) => line.includes('"request failed"')).join('\n');
    expect(failed).to.contain('answered 503 with the error server_error: AADSTS90033').and.contain('trace id 1111-trace').and.contain('correlation id 2222-corr');
  });

  it('says the sign-in service is not reachable when the token endpoint does not answer in time', async () => {
    const text = await failedSignIn('never');
    expect(text).to.contain('not reachable right now');
  });
});
