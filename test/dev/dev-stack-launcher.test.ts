import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { canListen, freePort } from '../e2e/support/free-port.ts';
import { waitUntil } from '../support/wait-until.ts';

const START = fileURLToPath(new URL('../../src/start.ts', import.meta.url));

/**
 * Whether something listens on the port. Asked by trying to listen there, not by connecting: nock,
 * which other suites load into this process, makes a client connection to a port nothing listens on
 * succeed (its socket interception, nock 15).
 */
const accepts = async (port: number) => !(await canListen(port));

/** The launcher's child processes (the two apps; the provider and the demo API run inside it). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether the process runs (a zombie waiting to be reaped does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

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

  function launch(env: Record<string, string> = {}, detached = false): ChildProcess {
    const { PATH, HOME } = process.env;
    launcher = spawn(process.execPath, [START], {
      cwd,
      detached, // its own process group, as a terminal's foreground job
      env: { PATH, HOME, LOG_LEVEL: 'warn', ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    launcher.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    return launcher;
  }

  const appsGone = async (apps: number[]) => {
    await waitUntil(() => !apps.some(running), 20_000, `an app process (${apps.join(', ')}) still runs after the launcher exited`);
    expect(await accepts(ports.PORT), 'PORT still held').to.equal(false);
    expect(await accepts(ports.SECOND_APP_PORT), 'SECOND_APP_PORT still held').to.equal(false);
  };

  it('stops the apps it spawned when SIGTERM arrives while the stack is still starting', async () => {
    const stack = launch();
    await waitUntil(() => childrenOf(stack.pid!).length === 2, 30_000, 'the apps were never spawned');
    const apps = childrenOf(stack.pid!);
    expect(stdout, 'still starting').to.not.contain('Offline dev stack is running');
    stack.kill('SIGTERM');
    await once(stack, 'exit');
    await appsGone(apps);
  });

  it('stops the apps when the launcher is killed outright while they are still starting', async () => {
    const stack = launch();
    await waitUntil(() => childrenOf(stack.pid!).length === 2, 30_000, 'the apps were never spawned');
    const apps = childrenOf(stack.pid!);
    stack.kill('SIGKILL'); // an app whose channel closes before it has started stops once it has
    await once(stack, 'exit');
    await appsGone(apps);
  });

  it("stops promptly, exit 0, on a terminal's Ctrl-C while the stack is still starting (the apps get it too)", async () => {
    const stack = launch({}, true);
    await waitUntil(() => childrenOf(stack.pid!).length === 2, 30_000, 'the apps were never spawned');
    const apps = childrenOf(stack.pid!);
    const pressed = Date.now();
    process.kill(-stack.pid!, 'SIGINT'); // the whole foreground process group
    const [code] = (await once(stack, 'exit')) as [number | null];
    expect(Date.now() - pressed, `ms to stop; stderr: ${stderr}`).to.be.below(10_000);
    expect(code, stderr).to.equal(0);
    await appsGone(apps);
  });

  it('stops the apps when the launcher itself is killed (SIGKILL, which it cannot pass on)', async () => {
    const stack = launch();
    await waitUntil(() => stdout.includes('Offline dev stack is running'), 30_000, 'the stack never started');
    const apps = childrenOf(stack.pid!);
    expect(apps).to.have.length(2);
    stack.kill('SIGKILL');
    await once(stack, 'exit');
    await appsGone(apps);
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

  it('stops with exit 1 and no stack trace when its apps refuse a setting it passes on, which they name', async () => {
    const [code] = (await once(launch({ LOG_LEVEL: 'bogus' }), 'exit')) as [number];
    expect(code).to.equal(1);
    expect(stderr).to.contain('Cannot start: LOG_LEVEL');
    expect(stderr).to.match(/Cannot start: the app for http:\/\/localhost:\d+\/healthz exited with 1 while starting; its reason is above/);
    expect(stderr).to.not.match(/\n\s+at /); // no stack trace
    expect(await accepts(ports.DEV_IDP_PORT), 'the provider').to.equal(false);
  });
});
