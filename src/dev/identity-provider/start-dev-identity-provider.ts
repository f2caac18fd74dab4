import { once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DEMO_TENANTS } from '../demo-tenants.ts';
import { demoUsersOfTenant } from '../demo-users.ts';
import { SignInRevocationList } from '../sign-in-revocations.ts';
import { revokeUserSessions } from './admin/revoke-user-sessions.ts';
import { revokeSessionsEndpoint } from './admin/revoke-sessions-endpoint.ts';
import { ClaimsRecorder } from './claims-recorder.ts';
import { COMMON_PATHS, commonFrontDoor } from './common/common-front-door.ts';
import { DEFAULT_API_AUDIENCE, DEFAULT_API_SCOPES, DEFAULT_PORT } from './dev-identity-provider-options.ts';
import type { DevIdentityProvider, DevIdentityProviderOptions } from './dev-identity-provider-options.ts';
import { createJsonFileStore } from './json-file-store.ts';
import { loadOrCreateProviderSecrets } from './provider-secrets.ts';
import { dispatchRequests } from './request-dispatcher.ts';
import { SignInTickets } from './sign-in-tickets.ts';
import { createTenantInstance } from './tenant-instance.ts';
import { loadOrCreateTlsCertificate } from './tls-certificate.ts';

export type { DevClient, DevIdentityProvider, DevIdentityProviderOptions, DevTenant } from './dev-identity-provider-options.ts';
export type { SessionRevocation } from './admin/revoke-user-sessions.ts';
export type { RecordedClaims, RequestedClaims } from './claims-recorder.ts';
export { DEFAULT_TENANT_ID } from './dev-identity-provider-options.ts';

/**
 * Starts the offline dev identity provider: over HTTPS on loopback, shaped like Microsoft Entra ID
 * v2 with two tenants (one oidc-provider instance each, same keys and app registrations) and the
 * multi-tenant `common` authority in front of them. For development and tests only.
 *
 * The port is bound before the providers are built, so `port: 0` works and the issuers name the
 * port actually in use.
 */
export async function startDevIdentityProvider(options: DevIdentityProviderOptions): Promise<DevIdentityProvider> {
  const dataDir = path.resolve(options.dataDir);
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
    const claimsRecorder = new ClaimsRecorder();
    const signInTickets = new SignInTickets();
    const revocations = new SignInRevocationList();
    const tenants = DEMO_TENANTS.map((tenant, i) => createTenantInstance(origin, {
      tenant,
      isDefaultTenant: i === 0,
      secrets,
      // The default tenant keeps the file the single-tenant provider always used.
      store: createJsonFileStore(path.join(dataDir, i === 0 ? 'store.json' : `store-${tenant.tenantId}.json`)),
      clients: options.clients,
      sendIssInFrontChannel: options.sendIssInFrontChannel ?? false,
      rotateRefreshTokens: options.rotateRefreshTokens ?? false,
      revocation: options.revocation ?? false,
      claimsRecorder,
      signInTickets,
      revokedRefreshTokens: revocations,
      api: {
        audience: options.apiAudience ?? DEFAULT_API_AUDIENCE,
        scopes: options.apiScopes ?? DEFAULT_API_SCOPES,
        accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
      },
    }));
    const revoke = (username: string) => revokeUserSessions({ tenants, revocations }, username);
    server.on('request', dispatchRequests({ tenants, frontDoor: commonFrontDoor(tenants, signInTickets), admin: revokeSessionsEndpoint(revoke) }));

    const defaultTenant = tenants[0]!;
    return {
      issuer: defaultTenant.issuer,
      jwksUri: `${origin}${defaultTenant.paths.routes.jwks}`,
      caCertPath: tls.certPath,
      commonAuthority: `${origin}${COMMON_PATHS.issuerPath}`,
      tenants: tenants.map(({ tenant, issuer, paths }) => ({
        tenantId: tenant.tenantId,
        displayName: tenant.displayName,
        issuer,
        jwksUri: `${origin}${paths.routes.jwks}`,
        usernames: demoUsersOfTenant(tenant.tenantId).map((user) => user.username),
      })),
      revokeUserSessions: revoke,
      signInRevocations: revocations,
      requestedClaims: claimsRecorder,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
