import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateDevStackSecrets } from './dev-stack-secrets.ts';
import { startDevServers } from './start-dev-servers.ts';

export interface DevStackOptions {
  /** Everything generated lives here (git-ignored): provider keys, certificate, app databases. */
  readonly dataDir?: string;
  readonly identityProviderPort?: number;
  readonly demoApiPort?: number;
  /** One app per port, each a separate client of the provider with its own store and cookie. */
  readonly appPorts?: readonly number[];
  readonly accessTokenTtlSeconds?: number;
  /**
   * How the provider tells each app (same order as `appPorts`) that the user signed out: by
   * front-channel iframe (as Entra does; the default), back-channel logout token (most other
   * providers), or both.
   */
  readonly logoutChannels?: readonly LogoutChannel[];
  /** Send `iss` with front-channel logout (Entra sends only `sid`). */
  readonly sendIssInFrontChannel?: boolean;
  readonly logLevel?: string;
}

export type LogoutChannel = 'front-channel' | 'back-channel' | 'both';

export interface DevApp {
  readonly url: string;
  readonly clientId: string;
  readonly sqlitePath: string;
}

export interface DevStack {
  readonly issuer: string;
  readonly caCertPath: string;
  readonly demoApiUrl: string;
  readonly apps: readonly DevApp[];
  close(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('../app/server.ts', import.meta.url));
const API_SCOPE = 'api://demo-api/Profile.Read';

/**
 * The whole offline world: the dev identity provider, the demo API, and the web app started as
 * separate processes (one per port, as two registered apps), exactly as in production except for
 * the environment they get. A child process is needed anyway: NODE_EXTRA_CA_CERTS, which makes the
 * apps trust the dev certificate, is only read when a process starts.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const dataDir = options.dataDir ?? 'data';
  const ports = options.appPorts ?? [3000, 3001];
  const apps = ports.map((port, i) => {
    const name = `app-${String.fromCharCode(97 + i)}`;
    return { name, url: `http://localhost:${port}`, port, clientId: `dev-${name}`, sqlitePath: join(dataDir, `${name}.db`) };
  });
  const secrets = loadOrCreateDevStackSecrets(join(dataDir, 'dev-stack-secrets.json'), apps.map((app) => app.clientId));
  const servers = await startDevServers({
    port: options.identityProviderPort ?? 5443,
    demoApiPort: options.demoApiPort ?? 5080,
    dataDir: join(dataDir, 'dev-idp'),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    sendIssInFrontChannel: options.sendIssInFrontChannel,
    clients: apps.map((app, i) => {
      const channel = options.logoutChannels?.[i] ?? 'front-channel';
      return {
        clientId: app.clientId,
        clientSecret: secrets.clientSecrets[app.clientId]!,
        redirectUris: [`${app.url}/auth/redirect`],
        postLogoutRedirectUris: [`${app.url}/auth/signed-out`],
        ...(channel !== 'back-channel' ? { frontchannelLogoutUri: `${app.url}/auth/signout/frontchannel` } : {}),
        ...(channel !== 'front-channel' ? { backchannelLogoutUri: `${app.url}/auth/signout/backchannel` } : {}),
      };
    }),
  });
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(children.map(stopChild));
    await servers.close();
  };
  try {
    for (const app of apps) {
      children.push(
        spawnApp({
          NODE_EXTRA_CA_CERTS: servers.identityProvider.caCertPath,
          PORT: String(app.port),
          PUBLIC_URL: app.url,
          AUTHORITY: servers.identityProvider.issuer,
          CLIENT_ID: app.clientId,
          CLIENT_SECRET: secrets.clientSecrets[app.clientId]!,
          API_URL: `${servers.demoApi.url}/v1.0/me`,
          API_SCOPES: API_SCOPE,
          TOKEN_STORE: 'sqlite',
          SQLITE_PATH: app.sqlitePath,
          SESSION_KEYS: secrets.sessionKeys.join(','),
          TOKEN_ENCRYPTION_KEYS: secrets.tokenEncryptionKeys.join(','),
          // Browsers share cookies across ports of one host: each app needs its own cookie name.
          SESSION_COOKIE_NAME: `${app.name}.session`,
          LOG_LEVEL: options.logLevel ?? 'info',
        }),
      );
    }
    await Promise.all(apps.map((app, i) => waitUntilHealthy(`${app.url}/healthz`, children[i]!)));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    issuer: servers.identityProvider.issuer,
    caCertPath: servers.identityProvider.caCertPath,
    demoApiUrl: servers.demoApi.url,
    apps: apps.map(({ url, clientId, sqlitePath }) => ({ url, clientId, sqlitePath })),
    close,
  };
}

function spawnApp(env: Record<string, string>): ChildProcess {
  // Only what the app needs from this environment, then its own settings: a stray AUTHORITY or
  // SESSION_KEYS of the parent must not leak in.
  const { PATH, HOME, NODE_ENV } = process.env;
  // Plain Node running the .ts file (type stripping), as production does: no loader.
  return spawn(process.execPath, [SERVER], {
    env: { PATH, HOME, ...(NODE_ENV ? { NODE_ENV } : {}), ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitUntilHealthy(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app for ${url} exited with code ${child.exitCode}`);
    if (await answers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app for ${url} did not answer within ${timeoutMs / 1000} s`);
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    get(url, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
