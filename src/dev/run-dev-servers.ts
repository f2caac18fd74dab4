/**
 * Entry point: `npx tsx src/dev/run-dev-servers.ts` starts the dev identity provider and the demo
 * API until Ctrl+C. Every setting has a dev default and can be changed through the environment
 * (see src/dev/README.md); the client secret default is for this offline provider only.
 */
import { startDevServers } from './start-dev-servers.ts';

const env = (name: string, fallback: string) => process.env[name] || fallback;
const appUrl = env('DEV_APP_URL', 'http://localhost:3000').replace(/\/$/, '');

const servers = await startDevServers({
  port: Number(env('DEV_IDP_PORT', '5443')),
  demoApiPort: Number(env('DEMO_API_PORT', '5080')),
  dataDir: env('DEV_IDP_DATA_DIR', 'data/dev-idp'),
  sendIssInFrontChannel: env('DEV_IDP_SEND_ISS', 'false') === 'true',
  accessTokenTtlSeconds: Number(env('DEV_IDP_ACCESS_TOKEN_TTL', '3600')),
  // Defaults match the web app's routes (src/app/routes/auth-routes.ts) at DEV_APP_URL.
  clients: [{
    clientId: env('DEV_CLIENT_ID', 'dev-web-app'),
    clientSecret: env('DEV_CLIENT_SECRET', 'dev-web-app-secret'),
    redirectUris: [env('DEV_REDIRECT_URI', `${appUrl}/auth/redirect`)],
    postLogoutRedirectUris: [env('DEV_POST_LOGOUT_REDIRECT_URI', `${appUrl}/auth/signed-out`)],
    frontchannelLogoutUri: env('DEV_FRONTCHANNEL_LOGOUT_URI', `${appUrl}/auth/signout/frontchannel`),
    ...(process.env['DEV_BACKCHANNEL_LOGOUT_URI'] ? { backchannelLogoutUri: process.env['DEV_BACKCHANNEL_LOGOUT_URI'] } : {}),
  }],
});

console.log(`Dev identity provider: ${servers.identityProvider.issuer} (users alice and bob, password demo)
Demo API: ${servers.demoApi.url}/v1.0/me
Run the web app against them with:
  NODE_EXTRA_CA_CERTS=${servers.identityProvider.caCertPath}
  AUTHORITY=${servers.identityProvider.issuer}
  CLIENT_ID=${env('DEV_CLIENT_ID', 'dev-web-app')} CLIENT_SECRET=<DEV_CLIENT_SECRET, default dev-web-app-secret>
  API_URL=${servers.demoApi.url}/v1.0/me API_SCOPES=api://demo-api/Profile.Read`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    servers.close().then(() => process.exit(0), () => process.exit(1));
  });
}
