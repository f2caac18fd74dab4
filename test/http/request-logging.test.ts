import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import type { LogRecord } from '../support/captured-logs.ts';

describe('logs: every line of a request names it', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' })));
  afterEach(() => stopTestApp(app));

  /** The lines written while `request` ran, and the request id the response carried. */
  async function linesOf<T extends { headers: Headers }>(request: () => Promise<T>): Promise<{ page: T; requestId: string; lines: LogRecord[] }> {
    const before = app.logs.length;
    const page = await request();
    const lines = app.logs.slice(before).map((line) => JSON.parse(line) as LogRecord);
    return { page, requestId: page.headers.get('x-request-id')!, lines };
  }

  it("carries the request id on MSAL's lines and the routes' lines of a sign-in", async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin');
    const { code, state } = entra.authorize(start.location!, alice, 'sid-alice');
    const { requestId, lines } = await linesOf(() => browser.get(`/auth/redirect?code=${code}&state=${state}`));

    expect(requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(lines.filter((line) => line.component === 'msal'), "MSAL's own lines (at debug)").to.not.be.empty;
    expect(lines.some((line) => line.message === 'signed in')).to.equal(true);
    expect(lines.filter((line) => line.requestId !== requestId), 'lines without this request id').to.deep.equal([]);
    expect(app.logs.join('\n'), 'never a code or a token').to.not.contain(code).and.not.match(/eyJ/);
  });

  it("carries the request id on a store adapter's warning", async () => {
    const browser = app.browser();
    const start = await browser.get('/auth/signin');
    const { code, state } = entra.authorize(start.location!, alice, 'sid-alice');
    await browser.get(`/auth/redirect?code=${code}&state=${state}`);
    // A value that is not sealed, planted in the store: the encrypting store refuses it with a warning.
    await app.container.cradle.storedTokenStore.write(`${alice.oid}.${entra.tenantId}`, '{"planted":true}');

    const { page, requestId, lines } = await linesOf(() => browser.get('/profile'));
    expect(page.status, 'sent to sign in again').to.equal(302);
    const warning = lines.find((line) => line.message.startsWith('token partition is not sealed'));
    expect(warning, 'the warning').to.include({ level: 'warn', requestId });
  });

  it('logs a 5xx with its request id, the id the error page shows', async () => {
    // A failure the app does not expect: the session store's own bug.
    app.container.cradle.sessionStore.findBySid = () => Promise.reject(new RangeError('a bug in the store'));
    const { page, requestId, lines } = await linesOf(() => app.browser().get('/auth/signout/frontchannel?sid=sid-x'));
    expect(page.status).to.equal(500);
    expect(page.text).to.contain(requestId);
    expect(lines.find((line) => line.message === 'request failed')).to.include({ level: 'error', requestId });
  });
});
