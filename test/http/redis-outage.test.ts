import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import nock from 'nock';
import { freePort } from '../e2e/support/free-port.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';
import { csrfFrom } from '../support/scripted-browser.ts';
import type { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';

/** RedisInvalidations' default `maxSilenceMs` (1000), and a little more. */
const PAST_SILENCE_BOUND_MS = 1100;

describe('Redis slow or down: a bounded 503, then recovery by itself', () => {
  const alice = fakeUser('alice');
  let server: ChildProcess | undefined;
  let entra: FakeEntra;
  let app: TestApp;

  before(async () => {
    blockNetwork();
    const port = await freePort();
    server = await startRedisServer(port);
    entra = new FakeEntra().install();
    fakeGraph([alice]);
    app = await startTestApp(entra, { TOKEN_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  after(async () => {
    server?.kill('SIGCONT');
    await app?.close();
    await killRedisServer(server);
    nock.cleanAll();
  });

  it('answers 503 within the command timeout while Redis is frozen, and serves the same session after', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    expect((await browser.get('/profile')).status).to.equal(200);

    server!.kill('SIGSTOP'); // Redis stops answering but keeps its data
    // The session and token version kept in memory may serve for at most the invalidation channel's
    // silence bound; past it they are dropped and every request needs Redis again.
    await sleep(PAST_SILENCE_BOUND_MS);
    const { storedSessionStore: sessionStore, tokenStore } = app.container.cradle;
    expect((sessionStore as RedisSessionStore).cached + tokenStore.size, 'a silent channel empties the caches').to.equal(0);
    const started = performance.now();
    const page = await browser.get('/profile');
    const elapsedMs = performance.now() - started;
    expect(page.status).to.equal(503);
    expect(page.text).to.contain('briefly unavailable').and.not.match(/Error:|node_modules/);
    expect(elapsedMs, 'bounded by the Redis command timeout').to.be.below(4000);

    server!.kill('SIGCONT');
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      recovered = (await browser.get('/profile')).status;
      if (recovered !== 200) await sleep(100);
    }
    expect(recovered, 'the same session and tokens work again without a restart').to.equal(200);
  });

  it('keeps the session and tokens when the store is down during sign-out, so the user can try again', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const profile = await browser.get('/profile');
    server!.kill('SIGSTOP');
    // Past the bound the app knows Redis is gone, and refuses before it sends anything. (Sooner, the
    // session may still come from memory and the removal be sent, to land when Redis wakes up.)
    await sleep(PAST_SILENCE_BOUND_MS);
    const refused = await browser.post('/auth/signout', { _csrf: csrfFrom(profile) });
    server!.kill('SIGCONT');
    expect(refused.status).to.equal(503);
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      again = (await browser.get('/profile')).status;
      if (again !== 200) await sleep(100);
    }
    expect(again, 'still signed in').to.equal(200);
    const signOut = await browser.post('/auth/signout', { _csrf: csrfFrom(await browser.get('/profile')) });
    expect(signOut.status).to.equal(302);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
  });
});
