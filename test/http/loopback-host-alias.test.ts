import { expect } from 'chai';
import { request } from 'node:http';
import { startAppWithFakeEntra, startTestApp, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';

/** One request to the app with the `Host` header given (fetch sets its own). */
function ask(app: TestApp, method: string, path: string, host: string): Promise<{ status: number; location: string | undefined; cacheControl: string | undefined }> {
  const { port } = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, method, path, headers: { host } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode!, location: response.headers.location, cacheControl: response.headers['cache-control'] });
    }).on('error', reject).end();
  });
}

/**
 * PUBLIC_URL on a loopback host (the harness's is `http://127.0.0.1:<port>`): a page asked for by
 * another loopback name on the same port goes to PUBLIC_URL first, so the sign-in's cookie is set
 * for the host the provider returns the browser to.
 */
describe('a page asked for by another name of this machine than PUBLIC_URL names', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000a7');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  it('is sent to the same path and query on PUBLIC_URL, not stored, for a GET or HEAD', async () => {
    const { port } = new URL(app.baseUrl);
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      for (const method of ['GET', 'HEAD']) {
        const answer = await ask(app, method, '/profile?tab=a%20b', host);
        expect(answer.status, `${method} ${host}`).to.equal(302);
        expect(answer.location, `${method} ${host}`).to.equal(`${app.baseUrl}/profile?tab=a%20b`);
        expect(answer.cacheControl).to.contain('no-store');
      }
    }
  });

  it('leaves alone PUBLIC_URL itself, another port, another host, a form posted, and the health route', async () => {
    const { port } = new URL(app.baseUrl);
    expect((await ask(app, 'GET', '/', `127.0.0.1:${port}`)).status, 'PUBLIC_URL').to.equal(200);
    expect((await ask(app, 'GET', '/', `localhost:${Number(port) + 1}`)).status, 'another port: not this app by that name').to.equal(200);
    expect((await ask(app, 'GET', '/', `app.example:${port}`)).status, 'a host a proxy may send').to.equal(200);
    expect((await ask(app, 'POST', '/no-such-page', `localhost:${port}`)).status, 'a form is not sent on again').to.equal(404);
    expect((await ask(app, 'GET', '/healthz', `localhost:${port}`)).status).to.equal(200);
  });

  it('lets a browser that started at localhost sign in: its cookies end up on the host the provider returns it to', async () => {
    const { port } = new URL(app.baseUrl);
    const browser = new ScriptedBrowser({ baseUrl: `http://localhost:${port}` });
    const asked = await browser.get('/profile');
    expect(asked.location).to.equal(`${app.baseUrl}/profile`);
    const toSignIn = await browser.get(asked.location!);
    const start = await browser.get(new URL(toSignIn.location!, app.baseUrl).href);
    expect(start.location, 'to the provider').to.match(/^https:\/\/login\.microsoftonline\.com\//);
    const { code, state } = entra.authorize(start.location!, alice);
    const callback = await browser.get(`${app.baseUrl}/auth/redirect?code=${code}&state=${state}`);
    expect(callback.status, callback.text).to.equal(302);
    expect(callback.location).to.equal('/profile');
    const page = await browser.get(`${app.baseUrl}/profile`);
    expect(page.status, page.text).to.equal(200);
  });

  it('is left to the proxy with TRUST_PROXY=true: the Host it sends may be its own', async () => {
    const behindProxy = await startTestApp(entra, { TRUST_PROXY: 'true' });
    try {
      const { port } = new URL(behindProxy.baseUrl);
      const answer = await ask(behindProxy, 'GET', '/', `localhost:${port}`);
      expect(answer.status).to.equal(200);
    } finally {
      await behindProxy.close();
    }
  });
});
