import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DemoApi } from './demo-api/start-demo-api.ts';
import { devAppEnvironment } from './dev-app-environment.ts';
import { CONTOSO_TENANT_ID } from './demo-tenants.ts';
import { DEMO_API_SCOPE, DEV_PORTS } from './dev-defaults.ts';
import { devStackApps } from './dev-stack-apps.ts';
import { recordDevStackSettings } from './dev-stack-settings.ts';
import { loadOrCreateDevStackSecrets } from './dev-stack-secrets.ts';
import type { DevIdentityProvider, DevTenant } from './identity-provider/start-dev-identity-provider.ts';
import { startDevServers } from './start-dev-servers.ts';
import { stopChild } from './stop-child.ts';

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
  /**
   * The apps' `AUTHORITY`: the default tenant's issuer (`'tenant'`, the default; a single-tenant
   * app), or `https://localhost:<port>/common/v2.0` (`'common'`; a multi-tenant app, whose users
   * come from either tenant).
   */
  readonly appAuthority?: AppAuthority;
  /**
   * More environment for every app process, merged after the stack's own (so it can also override
   * one), e.g. `{ ALLOWED_TENANTS: '<tid>,<tid>', CLIENT_CAPABILITIES: 'cp1' }`.
   */
  readonly appEnv?: Readonly<Record<string, string>>;
  /** The provider rotates refresh tokens and revokes the grant when a rotated one is reused. Default false (Entra does not). */
  readonly rotateRefreshTokens?: boolean;
  /** The provider serves RFC 7009 token revocation (`revocation_endpoint`). Default false (Entra has none). */
  readonly revocation?: boolean;
}

export type LogoutChannel = 'front-channel' | 'back-channel' | 'both';
export type AppAuthority = 'tenant' | 'common';

export interface DevApp {
  readonly url: string;
  readonly clientId: string;
  readonly sqlitePath: string;
}

export interface DevStack {
  /** The default tenant's issuer. */
  readonly issuer: string;
  /** `https://localhost:<port>/common/v2.0`. */
  readonly commonAuthority: string;
  /** What the apps were given as `AUTHORITY`: `issuer` or `commonAuthority`. */
  readonly appAuthority: string;
  /** Every tenant with its issuer and users, the default one first. */
  readonly tenants: readonly DevTenant[];
  readonly caCertPath: string;
  readonly demoApiUrl: string;
  readonly apps: readonly DevApp[];
  /** The running provider: `revokeUserSessions(username)`, `requestedClaims.last(...)`. */
  readonly identityProvider: DevIdentityProvider;
  /** The running demo API: `challengeNextRequest()`. */
  readonly demoApi: DemoApi;
  /** Stops the apps (stop-child.ts), then the provider and the demo API. */
  close(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('../app/server.ts', import.meta.url));

/**
 * The whole offline world: the dev identity provider, the demo API, and the web app started as
 * separate processes (one per port, as two registered apps), exactly as in production except for
 * the environment they get. A child process is needed anyway: NODE_EXTRA_CA_CERTS, which makes the
 * apps trust the dev certificate, is only read when a process starts.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const dataDir = options.dataDir ?? 'data';
  const ports = options.appPorts ?? [DEV_PORTS.appA, DEV_PORTS.appB];
  const apps = devStackApps(dataDir, ports);
  const secrets = loadOrCreateDevStackSecrets(join(dataDir, 'dev-stack-secrets.json'), apps.map((app) => app.clientId));
  const servers = await startDevServers({
    port: options.identityProviderPort ?? DEV_PORTS.identityProvider,
    demoApiPort: options.demoApiPort ?? DEV_PORTS.demoApi,
    dataDir: join(dataDir, 'dev-idp'),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    sendIssInFrontChannel: options.sendIssInFrontChannel,
    rotateRefreshTokens: options.rotateRefreshTokens,
    revocation: options.revocation,
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
  const appAuthority = options.appAuthority === 'common' ? servers.identityProvider.commonAuthority : servers.identityProvider.issuer;
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(children.map(stopChild));
    await servers.close();
  };
  try {
    // Each app's port, checked here: a child that cannot listen names only its own `PORT`, and one
    // held by a process that accepts and never answers would leave `waitUntilHealthy` asking.
    for (const app of apps) await portFree(new URL(app.url).port);
    for (const app of apps) {
      children.push(spawnApp(devAppEnvironment({
        ...app,
        clientSecret: secrets.clientSecrets[app.clientId]!,
        authority: appAuthority,
        caCertPath: servers.identityProvider.caCertPath,
        apiUrl: `${servers.demoApi.url}/v1.0/me`,
        apiScopes: DEMO_API_SCOPE,
        sessionKeys: secrets.sessionKeys,
        tokenEncryptionKeys: secrets.tokenEncryptionKeys,
        logLevel: options.logLevel ?? 'info',
        frontChannelSendsIss: options.sendIssInFrontChannel ?? false,
        extra: {
          // The app refuses a multi-tenant authority without ALLOWED_TENANTS; the dev default allows
          // Contoso only, so that carol (Fabrikam) shows a refused tenant.
          ...(options.appAuthority === 'common' ? { ALLOWED_TENANTS: CONTOSO_TENANT_ID } : {}),
          ...options.appEnv,
        },
      })));
    }
    await Promise.all(apps.map((app, i) => waitUntilHealthy(`${app.url}/healthz`, children[i]!)));
    recordDevStackSettings(dataDir, {
      DEV_APP_AUTHORITY: options.appAuthority === 'common' ? 'common' : 'tenant',
      PORT: String(apps[0]!.port),
      SECOND_APP_PORT: String(apps[1]?.port ?? DEV_PORTS.appB),
      DEV_IDP_PORT: String(portOf(servers.identityProvider.issuer)),
      DEMO_API_PORT: String(portOf(servers.demoApi.url)),
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    issuer: servers.identityProvider.issuer,
    commonAuthority: servers.identityProvider.commonAuthority,
    appAuthority,
    tenants: servers.identityProvider.tenants,
    caCertPath: servers.identityProvider.caCertPath,
    demoApiUrl: servers.demoApi.url,
    apps: apps.map(({ url, clientId, sqlitePath }) => ({ url, clientId, sqlitePath })),
    identityProvider: servers.identityProvider,
    demoApi: servers.demoApi,
    close,
  };
}

/** The port a URL names, its scheme's default included (`URL.port` is empty for 443 on https). */
function portOf(url: string): number {
  const { port, protocol } = new URL(url);
  return port ? Number(port) : protocol === 'https:' ? 443 : 80;
}

/** Resolves when `port` can be listened on (on the apps' host), else rejects with the listen error, which names the port. */
async function portFree(port: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(Number(port), '127.0.0.1', resolve));
  await new Promise((resolve) => probe.close(resolve));
}

function spawnApp(env: Readonly<Record<string, string>>): ChildProcess {
  // Only what the app needs from this environment, then its own settings: a stray AUTHORITY or
  // SESSION_KEYS of the parent must not leak in.
  const { PATH, HOME, NODE_ENV } = process.env;
  // Plain Node running the .ts file (type stripping), as production does: no loader.
  return spawn(process.execPath, [SERVER], {
    env: { PATH, HOME, ...(NODE_ENV ? { NODE_ENV } : {}), ...env },
    // The IPC channel closes when this launcher dies, however it dies (SIGKILL too): the app then
    // shuts down (src/app/server.ts) instead of holding its port as an orphan.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** An app of the stack ended before it answered: it has said why itself (a setting it refused, say). */
export class AppExitedWhileStarting extends Error {
  constructor(url: string, how: number | string) {
    super(`the app for ${url} exited with ${how} while starting; its reason is above`);
    this.name = 'AppExitedWhileStarting';
  }
}

async function waitUntilHealthy(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new AppExitedWhileStarting(url, child.exitCode ?? child.signalCode!);
    if (await answers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app for ${url} did not answer within ${timeoutMs / 1000} s`);
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(url, { timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy()).on('error', () => resolve(false));
  });
}
