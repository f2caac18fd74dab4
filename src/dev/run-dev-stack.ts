import { DEMO_PASSWORD, DEMO_USERS } from './demo-users.ts';
import { startDevStack, type LogoutChannel } from './start-dev-stack.ts';

function logoutChannel(value: string | undefined): LogoutChannel {
  if (value === undefined || value === '') return 'front-channel';
  if (value === 'front-channel' || value === 'back-channel' || value === 'both') return value;
  throw new Error(`DEV_LOGOUT_CHANNEL_A/B must be front-channel, back-channel or both, not "${value}"`);
}

/** `npm start` without AUTHORITY: the offline dev stack until Ctrl-C. Ports from the environment. */
export async function runDevStack(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${name} must be a port number`);
    return value;
  };
  const stack = await startDevStack({
    identityProviderPort: port('DEV_IDP_PORT', 5443),
    demoApiPort: port('DEMO_API_PORT', 5080),
    appPorts: [port('PORT', 3000), port('SECOND_APP_PORT', 3001)],
    logoutChannels: [logoutChannel(env.DEV_LOGOUT_CHANNEL_A), logoutChannel(env.DEV_LOGOUT_CHANNEL_B)],
    sendIssInFrontChannel: env.DEV_SEND_ISS === 'true',
    logLevel: env.LOG_LEVEL,
  });
  const users = DEMO_USERS.map((user) => user.username).join(' or ');
  process.stdout.write(`
Offline dev stack is running (no Microsoft Entra tenant needed):
  App A                  ${stack.apps[0]!.url}
  App B                  ${stack.apps[1]!.url}   (a second registered app, for single sign-out)
  Dev identity provider  ${stack.issuer}
  Demo API               ${stack.demoApiUrl}/v1.0/me
Sign in as ${users}, password "${DEMO_PASSWORD}". Ctrl-C stops everything.

`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    stack.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
}
