import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONTOSO_TENANT_ID } from './demo-tenants.ts';
import { devAppEnvironment } from './dev-app-environment.ts';
import { DEMO_API_SCOPE, DEV_PORTS, devAppAuthority, devPort } from './dev-defaults.ts';
import { devStackApps } from './dev-stack-apps.ts';
import { withDevStackSettings } from './dev-stack-settings.ts';
import { loadOrCreateDevStackSecrets } from './dev-stack-secrets.ts';

/**
 * `npm run signout` without AUTHORITY: the environment app A (or B, with `DEV_APP=b`) of the
 * offline stack runs with, read from the stack's data directory and the same variables `npm start`
 * takes (ports, `DEV_APP_AUTHORITY`; each one unset taken from the stack's last start,
 * dev-stack-settings.ts), so the operator command acts on that app's SQLite file and revokes at the
 * dev provider, at the authority the app used. The stack must have been started here once (it
 * creates the secrets).
 */
export function devOperatorEnvironment(given: NodeJS.ProcessEnv, dataDir = 'data'): Record<string, string> {
  const secretsFile = join(dataDir, 'dev-stack-secrets.json');
  if (!existsSync(secretsFile)) {
    throw new Error(`AUTHORITY is not set and there is no offline stack here (${secretsFile} is missing): run \`npm start\` once, or set the app's environment`);
  }
  const env = withDevStackSettings(given, dataDir);
  const which = env.DEV_APP?.trim() || 'a';
  if (which !== 'a' && which !== 'b') throw new Error(`DEV_APP must be a or b, not "${which}"`);
  const port = (name: string, fallback: number) => devPort(env, name, fallback);
  const apps = devStackApps(dataDir, [port('PORT', DEV_PORTS.appA), port('SECOND_APP_PORT', DEV_PORTS.appB)]);
  const app = apps[which === 'a' ? 0 : 1]!;
  const secrets = loadOrCreateDevStackSecrets(secretsFile, apps.map(({ clientId }) => clientId));
  const providerOrigin = `https://localhost:${port('DEV_IDP_PORT', DEV_PORTS.identityProvider)}`;
  const common = devAppAuthority(env) === 'common';
  return devAppEnvironment({
    ...app,
    clientSecret: secrets.clientSecrets[app.clientId]!,
    authority: common ? `${providerOrigin}/common/v2.0` : `${providerOrigin}/${CONTOSO_TENANT_ID}/v2.0`,
    caCertPath: join(dataDir, 'dev-idp', 'tls-cert.pem'),
    apiUrl: `http://localhost:${port('DEMO_API_PORT', DEV_PORTS.demoApi)}/v1.0/me`,
    apiScopes: DEMO_API_SCOPE,
    sessionKeys: secrets.sessionKeys,
    tokenEncryptionKeys: secrets.tokenEncryptionKeys,
    logLevel: env.LOG_LEVEL || 'info',
    extra: common ? { ALLOWED_TENANTS: CONTOSO_TENANT_ID } : {},
  });
}
