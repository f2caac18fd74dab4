import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import nock from 'nock';
import { freePort } from '../e2e/support/free-port.ts';
import { ENTRA_HOST, FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { metricValue } from '../support/metric-values.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { startAppWithFakeEntra, startTestApp, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';
import type { Page } from '../support/scripted-browser.ts';

describe('health: /healthz (liveness) and /readyz (readiness)', () => {
  const alice = fakeUser('alice');
  let app: TestApp | undefined;
  afterEach(async () => {
    await stopTestApp(app);
    app = undefined;
  });

  const readyz = async (): Promise<Page & { body: Record<string, any> }> => {
    const page = await app!.browser().get('/readyz', { headers: { accept: 'application/json' } });
    return { ...page, body: JSON.parse(page.text) };
  };
  async function untilReady(timeoutMs: number): Promise<number> {
    const started = Date.now();
    while ((await readyz()).status !== 200) {
      if (Date.now() - started > timeoutMs) throw new Error('never ready');
      await sleep(100);
    }
    return Date.now() - started;
  }

  it('answers /healthz while the process runs, even when nothing else works', async () => {
    ({ app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }));
    app.container.cradle.database.close();
    const page = await app.browser().get('/healthz');
    expect(page.status).to.equal(200);
    expect(JSON.parse(page.text)).to.deep.equal({ status: 'ok' });
  });

  it('is not ready until the discovery document is loaded, naming each check, and becomes ready by itself once the provider answers', async () => {
    blockNetwork();
    const entra = new FakeEntra(); // not installed yet: discovery answers 503
    nock(ENTRA_HOST).get(`/${entra.tenant}/v2.0/.well-known/openid-configuration`).reply(503);
    app = await startTestApp(entra, { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' });
    app.container.cradle.discoveryWarmUp.start(); // as server.ts does after its own first attempt

    const before = await readyz();
    expect(before.status).to.equal(503);
    expect(before.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(before.body).to.deep.equal({
      status: 'not-ready',
      checks: {
        shutdown: { status: 'ok', required: true },
        'provider-discovery': { status: 'failing', required: true },
        store: { status: 'ok', required: true },
      },
    });
    await sleep(1200); // the first retry meets the 503
    expect((await readyz()).status).to.equal(503);
    const warned = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'warn');
    expect(warned.map((line) => line.message), 'the line README "Logs" says to alert on').to.include('provider discovery still not reachable');
    entra.install();
    await untilReady(4000); // the next retry, 2 s after the first, loads it
    expect((await readyz()).body.status).to.equal('ready');
  });

  it('is not ready while the SQLite store does not answer', async () => {
    ({ app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }));
    await app.container.cradle.providerDiscovery.get();
    expect((await readyz()).status).to.equal(200);
    app.container.cradle.database.close();
    const after = await readyz();
    expect(after.status).to.equal(503);
    expect(after.body.checks.store).to.deep.equal({ status: 'failing', required: true });
  });

  it('is not ready while the SQLite sessions table cannot be read, though the token partitions can', async () => {
    ({ app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }));
    await app.container.cradle.providerDiscovery.get();
    expect((await readyz()).status).to.equal(200);
    app.container.cradle.database.exec('DROP TABLE sessions'); // as a damaged page of that table reads: every session read fails
    const after = await readyz();
    expect(after.status).to.equal(503);
    expect(after.body.checks.store).to.deep.equal({ status: 'failing', required: true });
  });

  it('is not ready once shutdown has begun, and closes the connection after answering', async () => {
    ({ app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'memory' }));
    await app.container.cradle.providerDiscovery.get();
    app.container.cradle.lifecycle.startDraining();
    const page = await readyz();
    expect(page.status).to.equal(503);
    expect(page.body.status).to.equal('shutting-down');
    expect(page.headers.get('connection')).to.equal('close');
  });

  describe('with a shared Redis that stops answering', () => {
    let redis: ChildProcess | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'readyz-'));
    afterEach(() => killRedisServer(redis));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('stays ready, reporting the store as failing and not required, and counts the sign-outs it journals meanwhile as journaled', async () => {
      const port = await freePort();
      redis = await startRedisServer(port);
      ({ app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: `readyz:${Date.now()}:`, SIGN_OUT_JOURNAL_PATH: join(dir, 'journal.json') }));
      await app.container.cradle.providerDiscovery.get();
      expect((await readyz()).body).to.deep.include({ status: 'ready', journaledSignOuts: 0 });

      await killRedisServer(redis);
      const page = await readyz();
      expect(page.status, 'a shared outage must not take every instance out').to.equal(200);
      expect(page.body.checks.store).to.deep.equal({ status: 'failing', required: false });
      const signOut = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');
      expect(signOut.status, 'accepted into the journal').to.equal(200);
      expect((await readyz()).body.journaledSignOuts).to.equal(1);
      const signOuts = (outcome: string) => metricValue(app!.container.cradle.metrics.registry, 'app_sign_outs_total', { channel: 'front-channel', outcome });
      expect(await signOuts('journaled'), 'counted as journaled, not failed').to.equal(1);
      expect(await signOuts('failed')).to.equal(0);
      expect(await metricValue(app!.container.cradle.metrics.registry, 'app_store_errors_total', { backend: 'redis' })).to.be.greaterThan(0);
    });

    it('answers within a load balancer probe timeout (Kubernetes: 1 s) while Redis is frozen, not after its 2 s deadline', async () => {
      const port = await freePort();
      redis = await startRedisServer(port);
      ({ app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: `readyz:${Date.now()}:`, SIGN_OUT_JOURNAL_PATH: join(dir, 'journal-frozen.json') }));
      await app.container.cradle.providerDiscovery.get();
      expect((await readyz()).status).to.equal(200);

      redis.kill('SIGSTOP'); // connected, and silent
      try {
        const askedAt = performance.now();
        const page = await readyz();
        const tookMs = performance.now() - askedAt;
        expect(page.status).to.equal(200);
        expect(page.body.checks.store).to.deep.equal({ status: 'failing', required: false });
        expect(tookMs, 'answered well inside 1 s (the store is given 250 ms)').to.be.below(1000);
      } finally {
        redis.kill('SIGCONT');
      }
    });
  });
});
