import { createServer } from 'node:net';
import { ConfigError } from '../app/config.ts';
import { listenFailure } from '../app/listen-failure.ts';
import { DEV_PORTS, devAppAuthority, devPort } from './dev-defaults.ts';
import { DEMO_PASSWORD, demoUsersOfTenant } from './demo-users.ts';
import { AppExitedWhileStarting, startDevStack, type DevStack, type LogoutChannel } from './start-dev-stack.ts';

function logoutChannel(env: NodeJS.ProcessEnv, name: 'DEV_LOGOUT_CHANNEL_A' | 'DEV_LOGOUT_CHANNEL_B'): LogoutChannel {
  const value = env[name];
  if (value === undefined || value === '') return 'front-channel';
  if (value === 'front-channel' || value === 'back-channel' || value === 'both') return value;
  throw new ConfigError(`${name} must be front-channel, back-channel or both, not "${value}"`);
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`${name} must be true or false, not "${value}"`);
}

type DevPortName = 'PORT' | 'SECOND_APP_PORT' | 'DEV_IDP_PORT' | 'DEMO_API_PORT';

/** The four ports of the stack, each its own: two parts given one port would not both listen. */
export function devStackPorts(env: NodeJS.ProcessEnv): Record<DevPortName, number> {
  const ports: Record<DevPortName, number> = {
    PORT: devPort(env, 'PORT', DEV_PORTS.appA),
    SECOND_APP_PORT: devPort(env, 'SECOND_APP_PORT', DEV_PORTS.appB),
    DEV_IDP_PORT: devPort(env, 'DEV_IDP_PORT', DEV_PORTS.identityProvider),
    DEMO_API_PORT: devPort(env, 'DEMO_API_PORT', DEV_PORTS.demoApi),
  };
  const names = Object.keys(ports) as DevPortName[];
  for (const [i, name] of names.entries()) {
    const same = names.slice(i + 1).find((other) => ports[other] === ports[name]);
    if (same) throw new ConfigError(`${name} and ${same} are both ${ports[name]}: each part of the stack needs its own port`);
  }
  return ports;
}

/**
 * The identity provider or the demo API could not listen: a ConfigError naming its port variable
 * (listen-failure.ts), not a stack trace. The apps' own children already name theirs (`PORT`).
 */
export function portInUse(error: unknown, ports: Record<DevPortName, number>): unknown {
  const { port } = error as { port?: unknown };
  const name = (Object.keys(ports) as DevPortName[]).find((candidate) => ports[candidate] === port);
  return name ? listenFailure(error, { port: name, host: name }, ports[name], '127.0.0.1') : error;
}

/**
 * Each port checked free on the IPv6 loopback too. The stack listens on 127.0.0.1, and its URLs say
 * `localhost`, which a browser may resolve to ::1 first (Chromium does, whatever /etc/hosts says):
 * another program holding a port there would get the provider's redirect, with its authorization
 * code, and this site's cookies, while the stack started as if nothing were wrong. A machine
 * without IPv6 has nothing there to hold.
 */
export async function ipv6LoopbackFree(ports: Record<DevPortName, number>): Promise<void> {
  for (const name of Object.keys(ports) as DevPortName[]) {
    const probe = createServer();
    const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      probe.once('error', resolve).listen({ port: ports[name], host: '::1', ipv6Only: true }, () => resolve(undefined));
    });
    if (failure === undefined) await new Promise((resolve) => probe.close(resolve));
    else if (failure.code !== 'EADDRNOTAVAIL' && failure.code !== 'EAFNOSUPPORT') throw listenFailure(failure, { port: name, host: name }, ports[name], '::1');
  }
}

/** The app settings a developer may set for `npm start` that the stack passes on to both apps. */
const PASSED_TO_APPS = ['ALLOWED_TENANTS', 'CLIENT_CAPABILITIES'] as const;

/** `npm start` without AUTHORITY: the offline dev stack until Ctrl-C. Ports and options from the environment. */
export async function runDevStack(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const ports = devStackPorts(env);
  await ipv6LoopbackFree(ports);
  const appEnv = Object.fromEntries(PASSED_TO_APPS.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]!]])));
  const starting = startDevStack({
    identityProviderPort: ports.DEV_IDP_PORT,
    demoApiPort: ports.DEMO_API_PORT,
    appPorts: [ports.PORT, ports.SECOND_APP_PORT],
    logoutChannels: [logoutChannel(env, 'DEV_LOGOUT_CHANNEL_A'), logoutChannel(env, 'DEV_LOGOUT_CHANNEL_B')],
    sendIssInFrontChannel: flag(env, 'DEV_SEND_ISS'),
    appAuthority: devAppAuthority(env),
    rotateRefreshTokens: flag(env, 'DEV_ROTATE_REFRESH_TOKENS'),
    revocation: flag(env, 'DEV_REVOCATION'),
    appEnv,
    logLevel: env.LOG_LEVEL,
  }).catch((error: unknown) => {
    // Its own message is already out (`Cannot start: LOG_LEVEL must be …`): one line more, no stack.
    if (error instanceof AppExitedWhileStarting) throw new ConfigError(error.message);
    throw portInUse(error, ports);
  });
  // From the start: a signal while the stack is starting (a supervisor's SIGTERM) stops it once it
  // has started, rather than end this launcher with the apps it has spawned left running.
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    starting.then((stack) => stack.close(), () => {}).then(() => process.exit(0), () => process.exit(1));
  };
  // `on`, not `once`: under `npm start` the terminal's Ctrl-C arrives twice (npm passes it on to
  // its child, @npmcli/run-script's signal-manager), and a second one with no listener would end
  // this launcher at once, leaving the apps to drain as orphans; `stop` ignores repeats.
  process.on('SIGINT', stop).on('SIGTERM', stop);
  // Stopped while starting, a start that fails (an app the terminal's Ctrl-C ended before it could
  // take it) is no failure: `stop` exits 0 once the rest is stopped.
  const stack = await starting.catch((error: unknown) => {
    if (stopping) return undefined;
    throw error;
  });
  if (!stack || stopping) return;
  const tenants = stack.tenants.map((tenant) =>
    `  ${tenant.displayName.padEnd(22)} ${tenant.issuer}   users: ${demoUsersOfTenant(tenant.tenantId).map((user) => user.username).join(', ')}`).join('\n');
  process.stdout.write(`
Offline dev stack is running (no Microsoft Entra tenant needed):
  App A                  ${stack.apps[0]!.url}
  App B                  ${stack.apps[1]!.url}   (a second registered app, for single sign-out)
  Apps' authority        ${stack.appAuthority}
  Demo API               ${stack.demoApiUrl}/v1.0/me
  Revoke sessions        ${new URL('/dev/admin/revoke-sessions', stack.issuer).href}   (one user's, like Entra's)
Tenants (the common authority is ${stack.commonAuthority}):
${tenants}
Password "${DEMO_PASSWORD}" for every user. Ctrl-C stops everything.

`);
}
