import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDevProvider } from './create-dev-provider.ts';
import {
  DEFAULT_API_AUDIENCE, DEFAULT_API_SCOPES, DEFAULT_PORT, DEFAULT_TENANT_ID,
} from './dev-identity-provider-options.ts';
import type { DevIdentityProvider, DevIdentityProviderOptions } from './dev-identity-provider-options.ts';
import { entraPaths } from './entra-paths.ts';
import { loadOrCreateProviderSecrets } from './provider-secrets.ts';
import { loadOrCreateTlsCertificate } from './tls-certificate.ts';

export type { DevClient, DevIdentityProvider, DevIdentityProviderOptions } from './dev-identity-provider-options.ts';
export { DEFAULT_TENANT_ID } from './dev-identity-provider-options.ts';

/**
 * Starts the offline dev identity provider: oidc-provider over HTTPS on loopback, shaped like
 * Microsoft Entra ID v2 for one tenant. For development and tests only.
 *
 * The port is bound before the provider is built, so `port: 0` works and the issuer names the
 * port actually in use.
 */
export async function startDevIdentityProvider(options: DevIdentityProviderOptions): Promise<DevIdentityProvider> {
  const dataDir = path.resolve(options.dataDir);
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const paths = entraPaths(tenantId);
  const tls = await loadOrCreateTlsCertificate(dataDir);
  const secrets = await loadOrCreateProviderSecrets(dataDir);

  const server = createServer({ cert: tls.cert, key: tls.key });
  server.listen(options.port ?? DEFAULT_PORT, '127.0.0.1');
  await once(server, 'listening');
  const close = async () => {
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    server.closeAllConnections();
    await closed;
  };

  try {
    const origin = `https://${options.host ?? 'localhost'}:${(server.address() as AddressInfo).port}`;
    const issuer = `${origin}${paths.issuerPath}`;
    const provider = createDevProvider(issuer, {
      tenantId,
      paths,
      secrets,
      storeFile: path.join(dataDir, 'store.json'),
      clients: options.clients,
      sendIssInFrontChannel: options.sendIssInFrontChannel ?? false,
      api: {
        audience: options.apiAudience ?? DEFAULT_API_AUDIENCE,
        scopes: options.apiScopes ?? DEFAULT_API_SCOPES,
        accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      },
    });
    server.on('request', provider.callback());
    return { issuer, jwksUri: `${origin}${paths.routes.jwks}`, caCertPath: tls.certPath, close };
  } catch (error) {
    await close();
    throw error;
  }
}
