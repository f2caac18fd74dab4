import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { spawnAppProcess, startAppProcess, type AppProcess } from '../support/app-process.ts';
import { waitUntil } from '../support/wait-until.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { SlowJwksProvider } from '../support/slow-jwks-provider.ts';

/** One HTTP request; resolves with its status and when it ended, or with the error that ended it. */
function send(port: number, options: { method?: string; path: string; body?: string; agent?: Agent }) {
  return new Promise<{ status?: number; error?: string; at: number; socket?: Socket }>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        agent: options.agent ?? false,
        headers: options.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      },
      (response) => {
        const socket = response.socket as Socket;
        response.resume().on('end', () => resolve({ status: response.statusCode, at: performance.now(), socket }));
      },
    );
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message, at: performance.now() }));
    req.end(options.body);
  });
}

/**
 * Whether a new HTTP request to `port` is refused. Over node:http rather than a raw socket: suites
 * that load nock have its interceptor in this process, and its socket stand-in reports a raw
 * `connect` before the real connection has been tried.
 */
async function refusesConnections(port: number): Promise<boolean> {
  const answer = await send(port, { path: '/healthz' });
  return answer.error === 'ECONNREFUSED';
}

describe('graceful shutdown on SIGTERM (the app as a process)', function () {
  this.timeout(60_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'shutdown-'));
  const provider = new SlowJwksProvider();
  let app: AppProcess | undefined;

  before(() => provider.start(dataDir));
  after(async () => {
    await provider.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => app?.child.kill('SIGKILL'));

  const start = (env: Record<string, string> = {}) =>
    startAppProcess({
      AUTHORITY: provider.issuer,
      CLIENT_ID: provider.clientId,
      CLIENT_SECRET: 'secret',
      SESSION_KEYS: 'shutdown-test-session-key-0123456789',
      TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 3).toString('base64'),
      TOKEN_STORE: 'memory',
      NODE_EXTRA_CA_CERTS: provider.caCertPath,
      ...env,
    });

  /**
   * A back-channel sign-out that waits `delayMs` for the provider's keys, on a keep-alive connection
   * (it would stay open after the answer if the app did not close it); resolves once it is in flight.
   */
  async function slowSignOut(port: number, delayMs: number) {
    provider.jwksDelayMs = delayMs;
    const inFlight = new Promise<void>((resolve) => (provider.onJwksRequest = resolve));
    const agent = new Agent({ keepAlive: true });
    const body = `logout_token=${await provider.logoutToken('sid-1')}`;
    const answer = send(port, { method: 'POST', path: '/auth/signout/backchannel', body, agent }).finally(() => agent.destroy());
    await inFlight;
    return { answer };
  }

  it('lets a request in flight finish, closes an idle keep-alive connection at once, refuses new connections, and exits 0', async () => {
    app = await start();
    const agent = new Agent({ keepAlive: true });
    const idle = await send(app.port, { path: '/healthz', agent });
    expect(idle.status).to.equal(200);
    const idleClosed = new Promise<number>((resolve) => idle.socket!.once('close', () => resolve(performance.now())));

    const slow = (await slowSignOut(app.port, 1500)).answer;
    const sigtermAt = performance.now();
    app.child.kill('SIGTERM');

    expect(await idleClosed - sigtermAt, 'the idle keep-alive connection is closed at once').to.be.below(500);
    // Logged once the listener is closed (the idle connection may close a moment earlier).
    while (!app.logs.some((line) => line.message === 'shutting down: not accepting connections, draining requests')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The listener's file descriptor is closed by libuv on its next turn, a moment after the log line.
    let refused = false;
    for (let tries = 0; tries < 40 && !refused; tries++) {
      refused = await refusesConnections(app.port);
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(refused, 'no new connections').to.equal(true);
    const answered = await slow;
    expect(answered.status, `the slow request completes: ${answered.error}`).to.equal(200);
    const { code, at } = await app.exited;
    expect(code).to.equal(0);
    expect(at - answered.at, 'exits right after the last request, not after a keep-alive timeout').to.be.below(1000);
    expect(at - sigtermAt, 'well within the 10 s grace').to.be.below(4000);
    expect(app.logs.find((line) => line.message === 'stopped')).to.include({ drained: true });
    agent.destroy();
  });

  for (const [what, sent] of [
    ['never sent a request (a preconnect)', ''],
    ['sent part of a request and no more', 'GET /healthz HTTP/1.1\\r\\nHost: loc'],
  ] as const) it(`closes a connection that ${what}, and exits at once, drained`, async () => {
    app = await start();
    // Opened from another process: nock, which other suites load into this one, stands in for
    // this process's sockets and reports a connection before the real one is made.
    const holder = spawn(
      process.execPath,
      ['-e', `const s = require('node:net').connect(${app.port}, '127.0.0.1', () => { s.write('${sent}'); console.log('connected'); }); s.on('close', () => { console.log('closed'); process.exit(0); }); s.on('error', () => {});`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const output: string[] = [];
    const printed = (text: string) => new Promise<void>((resolve) => {
      const check = () => output.join('').includes(text) && resolve();
      holder.stdout!.on('data', (chunk: Buffer) => (output.push(chunk.toString()), check()));
      check();
    });
    await printed('connected');
    const sigtermAt = performance.now();
    app.child.kill('SIGTERM');

    const { code, at } = await app.exited;
    await printed('closed');
    expect(code).to.equal(0);
    expect(at - sigtermAt, 'not held for the 10 s grace').to.be.below(2000);
    expect(app.logs.find((line) => line.message?.toString().startsWith('stopped'))).to.include({ drained: true });
  });

  /** An app process still starting: its Redis is nowhere, so the start waits for it a few seconds. */
  async function startingBehindAbsentRedis(journalFile: string) {
    return spawnAppProcess({
      AUTHORITY: provider.issuer,
      CLIENT_ID: provider.clientId,
      CLIENT_SECRET: 'secret',
      SESSION_KEYS: 'shutdown-test-session-key-0123456789',
      TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 3).toString('base64'),
      NODE_EXTRA_CA_CERTS: provider.caCertPath,
      TOKEN_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      SIGN_OUT_JOURNAL_PATH: join(dataDir, journalFile),
    });
  }

  it('stops as gracefully, exit 0, on a signal that comes while it is still starting (reaching Redis)', async () => {
    const starting = await startingBehindAbsentRedis('starting-journal.json');
    try {
      await waitUntil(() => starting.logs.length > 0, 20_000, 'the start to be under way');
      expect(starting.logs.some((line) => line.message === 'listening'), 'still starting').to.equal(false);
      starting.child.kill('SIGTERM');
      const { code } = await starting.exited;
      expect(code, starting.errors()).to.equal(0);
      expect(starting.logs.find((line) => line.message === 'stopped')).to.include({ drained: true });
    } finally {
      starting.child.kill('SIGKILL');
    }
  });

  it('says why, on stderr, when a second signal stops it at once while it is still starting', async () => {
    const starting = await startingBehindAbsentRedis('starting-journal-2.json');
    try {
      await waitUntil(() => starting.logs.length > 0, 20_000, 'the start to be under way');
      starting.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      starting.child.kill('SIGTERM'); // asked again, after the second that counts as the same request
      const { code } = await starting.exited;
      expect(code).to.equal(1);
      expect(starting.errors()).to.contain('asked again to stop: stopping now, requests still running are cut');
    } finally {
      starting.child.kill('SIGKILL');
    }
  });

  it("takes a second signal within a second for the same request (a terminal's Ctrl-C, then a launcher passing it on), and one later for a hurry", async () => {
    app = await start();
    const slow = (await slowSignOut(app.port, 1500)).answer;
    app.child.kill('SIGINT'); // the terminal's Ctrl-C reaching the app
    await new Promise((resolve) => setTimeout(resolve, 50));
    app.child.kill('SIGTERM'); // the launcher's, a moment later
    expect((await slow).status, 'the request in flight still completes').to.equal(200);
    expect((await app.exited).code).to.equal(0);
    expect(app.logs.find((line) => line.message === 'stopped')).to.include({ drained: true });

    app = await start();
    const cut = (await slowSignOut(app.port, 5000)).answer;
    app.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    app.child.kill('SIGTERM'); // asked again: exits at once
    const { code } = await app.exited;
    expect(code).to.equal(1);
    expect((await cut).status, 'cut').to.equal(undefined);
    expect(app.logs.map((line) => line.message), 'said').to.include('asked again to stop: stopping now, requests still running are cut');
  });

  it('cuts a request still running when SHUTDOWN_GRACE_MS is over, and still exits 0', async () => {
    app = await start({ SHUTDOWN_GRACE_MS: '500' });
    const slow = (await slowSignOut(app.port, 8000)).answer;
    const sigtermAt = performance.now();
    app.child.kill('SIGTERM');

    const answered = await slow;
    expect(answered.status, 'no answer: the connection was cut').to.equal(undefined);
    const { code, at } = await app.exited;
    expect(code).to.equal(0);
    expect(at - sigtermAt, 'bounded by the grace, not by the request').to.be.within(450, 2500);
    expect(app.logs.find((line) => line.message?.toString().startsWith('stopped'))).to.include({ drained: false });
  });
});
