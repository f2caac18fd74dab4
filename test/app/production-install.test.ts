import { expect } from 'chai';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServers, type DevServers } from '../../src/dev/start-dev-servers.ts';
import { ScriptedBrowser } from '../support/scripted-browser.ts';
import { tokenPartition } from '../e2e/support/app-database.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { signInToProfile, signOutFromApp } from '../e2e/support/journeys.ts';
import { accountIdOf } from '../e2e/support/test-stack.ts';

/**
 * A production install, for real: the project copied without its tests, `npm ci --omit=dev` (from
 * the npm cache only, `--offline`: this test never reaches the network; `npm ci` of the project
 * has filled the cache), then `NODE_ENV=production npm start` signing a user in against the dev
 * identity provider, which runs here from the full install. Proves that no devDependency (the dev
 * identity provider, playwright-core, selfsigned, TypeScript, the node package) is needed at run
 * time, and that plain `node src/start.ts` runs the app.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** What a deployment would not copy. */
const NOT_COPIED = new Set(['node_modules', '.git', '.ci', 'data', 'artifacts', 'dist', 'test', 'bench', '.env']);
const DEV_ONLY_PACKAGES = ['oidc-provider', 'playwright-core', 'selfsigned', 'typescript', 'mocha', 'nock', 'node', 'tsx'];
const CLIENT_ID = 'production-install-app';
const API_SCOPE = 'api://demo-api/Profile.Read';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment for npm in the copy: none of the outer `npm test`'s `npm_*` variables (its
 * `npm_config_local_prefix` would point the inner npm at this repository), except where the cache
 * is; and the Node running this test first on PATH, so `npm` and its scripts run on it.
 */
function npmEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PATH = '', HOME = tmpdir(), npm_config_cache } = process.env;
  return {
    PATH: [dirname(process.execPath), PATH].join(delimiter),
    HOME,
    ...(npm_config_cache ? { npm_config_cache } : {}),
    ...extra,
  };
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

async function waitUntilHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}: ${output()}`);
    const healthy = await fetch(url).then((response) => response.ok, () => false);
    if (healthy) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`the production install did not answer at ${url} within ${timeoutMs / 1000} s: ${output()}`);
}

/** `npm start` runs `sh -c node …`: its own process group, so stopping it stops all three. */
function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolveStop) => {
    const force = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    process.kill(-child.pid!, 'SIGTERM');
  });
}

describe('production install: npm ci --omit=dev, then NODE_ENV=production npm start', function () {
  this.timeout(120_000);
  let work: string;
  let app: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'production-install-'));
    app = join(work, 'app');
    cpSync(ROOT, app, { recursive: true, filter: (source) => source === ROOT || !NOT_COPIED.has(source.slice(ROOT.length + 1).split('/')[0]!) });
    const install = await run(['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], app, npmEnvironment(), 100_000);
    if (install.code !== 0) {
      const hint = /ENOTCACHED/.test(install.stderr) ? ' (a package is not in the npm cache: run `npm ci` here first; this test never downloads)' : '';
      throw new Error(`npm ci --omit=dev failed${hint}: ${install.stderr.slice(-2000)}`);
    }
  });

  after(() => work && rmSync(work, { recursive: true, force: true }));

  it('installs no devDependency: no dev identity provider, browser driver, TypeScript or Node of its own', () => {
    const installed = readdirSync(join(app, 'node_modules'));
    expect(installed).to.include('better-sqlite3').and.include('koa');
    expect(DEV_ONLY_PACKAGES.filter((name) => existsSync(join(app, 'node_modules', name)))).to.deep.equal([]);
  });

  it('signs a user in and out against the provider (AUTHORITY set), with plain node and production settings', async () => {
    const [providerPort, apiPort, appPort] = [await freePort(), await freePort(), await freePort()];
    const url = `http://localhost:${appPort}`;
    const clientSecret = randomBytes(24).toString('base64url');
    let servers: DevServers | undefined;
    let started: ChildProcess | undefined;
    let output = '';
    const browser = await (async () => {
      servers = await startDevServers({
        port: providerPort,
        demoApiPort: apiPort,
        dataDir: join(work, 'dev-idp'),
        clients: [{
          clientId: CLIENT_ID,
          clientSecret,
          redirectUris: [`${url}/auth/redirect`],
          postLogoutRedirectUris: [`${url}/auth/signed-out`],
          frontchannelLogoutUri: `${url}/auth/signout/frontchannel`,
        }],
      });
      return new ScriptedBrowser({ ca: await readFile(servers.identityProvider.caCertPath, 'utf8') });
    })();
    try {
      const sqlitePath = join(work, 'app.db');
      started = spawn('npm', ['start'], {
        cwd: app,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: npmEnvironment({
          NODE_ENV: 'production',
          AUTHORITY: servers!.identityProvider.issuer,
          CLIENT_ID,
          CLIENT_SECRET: clientSecret,
          PUBLIC_URL: url,
          PORT: String(appPort),
          API_URL: `${servers!.demoApi.url}/v1.0/me`,
          API_SCOPES: API_SCOPE,
          SQLITE_PATH: sqlitePath,
          SESSION_KEYS: randomBytes(32).toString('base64'),
          TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
          NODE_EXTRA_CA_CERTS: servers!.identityProvider.caCertPath,
          LOG_LEVEL: 'warn',
        }),
      });
      started.stdout!.on('data', (chunk) => (output += chunk));
      started.stderr!.on('data', (chunk) => (output += chunk));
      await waitUntilHealthy(`${url}/healthz`, started, () => output);

      const signIn = await browser.get(`${url}/auth/signin`);
      expect(signIn.status, output).to.equal(302);
      expect(signIn.redirectUrl).to.match(new RegExp(`^https://localhost:${providerPort}/`));

      const { page } = await signInToProfile(browser, { url, clientId: CLIENT_ID, sqlitePath }, 'alice');
      expect(page.text).to.include('Alice Smith');
      expect(await tokenPartition(sqlitePath, accountIdOf('alice')), "alice's token partition").to.not.equal(undefined);

      const signOut = await signOutFromApp(browser, { url, clientId: CLIENT_ID, sqlitePath }, page);
      expect(new URL(signOut.formAnswer.redirectUrl!).origin).to.equal(new URL(servers!.identityProvider.issuer).origin);
      expect(await tokenPartition(sqlitePath, accountIdOf('alice')), "alice's token partition after sign-out").to.equal(undefined);
    } finally {
      if (started) await stopGroup(started);
      await browser.close();
      await servers?.close();
    }
  });

  it('without AUTHORITY and NODE_ENV, says that the offline dev stack is not installed and what to set', async () => {
    const start = await run(['start'], app, npmEnvironment(), 30_000);
    expect(start.code, start.stderr).to.equal(1);
    expect(start.stderr).to.contain('Cannot start: AUTHORITY is not set, and the offline dev stack that runs without it is not installed');
    expect(start.stderr).to.match(/package "(oidc-provider|selfsigned)" is missing/);
    expect(start.stderr).to.contain('CLIENT_ID, CLIENT_SECRET');
    expect(start.stdout).to.not.contain('Offline dev stack is running');
  });

  it('without AUTHORITY and with NODE_ENV=production, refuses to start, naming AUTHORITY', async () => {
    const start = await run(['start'], app, npmEnvironment({ NODE_ENV: 'production' }), 30_000);
    expect(start.code, start.stderr).to.equal(1);
    expect(start.stderr).to.contain('Cannot start: AUTHORITY is not set');
    expect(start.stderr).to.contain('never runs in production');
  });
});
