import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { freePort } from '../e2e/support/free-port.ts';
import { waitUntil } from '../support/wait-until.ts';

const START = fileURLToPath(new URL('../../src/start.ts', import.meta.url));

/** Whether something accepts connections on the port. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true))).once('error', () => resolve(false));
  });

/**
 * `npm start` (node src/start.ts) as a process, in a folder of its own: the offline stack's
 * launcher and the two app processes it spawns, which must never outlive it.
 */
describe('the offline stack launcher (npm start without AUTHORITY)', function () {
  this.timeout(90_000);
  let cwd: string;
  let launcher: ChildProcess | undefined;
  let ports: { PORT: number; SECOND_APP_PORT: number; DEV_IDP_PORT: number; DEMO_API_PORT: number };
  let stdout: string;
  let stderr: string;

  beforeEach(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'dev-stack-launcher-'));
    ports = { PORT: await freePort(), SECOND_APP_PORT: await freePort(), DEV_IDP_PORT: await freePort(), DEMO_API_PORT: await freePort() };
    stdout = '';
    stderr = '';
  });
  afterEach(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGTERM');
      await once(launcher, 'exit');
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  function launch(env: Record<string, string> = {}): ChildProcess {
    const { PATH, HOME } = process.env;
    launcher = spawn(process.execPath, [START], {
      cwd,
      env: { PATH, HOME, LOG_LEVEL: 'warn', ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    launcher.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    return launcher;
  }

  const appsGone = () => waitUntil(async () => !(await accepts(ports.PORT)) && !(await accepts(ports.SECOND_APP_PORT)), 20_000, 'an app still listens after the launcher exited');

  it('stops the apps it spawned when SIGTERM arrives while the stack is still starting', async () => {
    const running = launch();
    await waitUntil(() => accepts(ports.PORT), 30_000, 'app A never listened');
    expect(stdout, 'still starting').to.not.contain('Offline dev stack is running');
    running.kill('SIGTERM');
    await once(running, 'exit');
    await appsGone();
  });

  it('stops the apps when the launcher itself is killed (SIGKILL, which it cannot pass on)', async () => {
    const running = launch();
    await waitUntil(() => stdout.includes('Offline dev stack is running'), 30_000, 'the stack never started');
    running.kill('SIGKILL');
    await once(running, 'exit');
    await appsGone();
  });

  for (const [what, holder] of [
    ['a web server', () => createHttpServer((_request, response) => response.writeHead(404).end())],
    ['a process that accepts and never answers', () => createServer(() => {})],
  ] as const) {
    it(`names SECOND_APP_PORT and stops, when ${what} holds that port`, async () => {
      const held: Server = holder();
      await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
      ports.SECOND_APP_PORT = (held.address() as AddressInfo).port;
      try {
        const [code] = (await once(launch(), 'exit')) as [number];
        expect(code).to.equal(1);
        expect(stderr).to.contain(`Cannot start: SECOND_APP_PORT ${ports.SECOND_APP_PORT} is in use`);
        expect(stderr).to.not.match(/\n\s+at /); // no stack trace
        expect(await accepts(ports.PORT), 'app A').to.equal(false);
        expect(await accepts(ports.DEV_IDP_PORT), 'the provider').to.equal(false);
      } finally {
        held.close();
      }
    });
  }
});
