import nock from 'nock';
import { FetchNetworkClient } from '../../src/adapters/msal/fetch-network-client.ts';
import { MsalIdentityProvider } from '../../src/adapters/msal/msal-identity-provider.ts';
import { MsalRefreshTokenRevoker } from '../../src/adapters/msal/msal-refresh-token-revoker.ts';
import { RefreshGate, type RefreshLock } from '../../src/adapters/msal/refresh-gate.ts';
import { describeAuthority } from '../../src/adapters/oidc/authority.ts';
import { IdTokenValidator } from '../../src/adapters/oidc/id-token-validator.ts';
import type { AllowedTenants } from '../../src/adapters/oidc/issuer-rule.ts';
import { ProviderDiscovery } from '../../src/adapters/oidc/provider-discovery.ts';
import { ProviderKeys } from '../../src/adapters/oidc/provider-keys.ts';
import type { SignedInAccount } from '../../src/domain/account.ts';
import type { TokenStore } from '../../src/ports/token-store.port.ts';
import type { FakeEntra, FakeUser } from './fake-entra.ts';
import { warningsInto } from './captured-logs.ts';

export const GRAPH_SCOPES = ['User.Read'] as const;

/** Real network off; only loopback (in-process HTTP tests) may connect. */
export function blockNetwork(): void {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
}

export interface MsalHarnessOptions {
  readonly allowedTenants?: AllowedTenants;
  readonly clientCapabilities?: readonly string[];
  readonly clockSkewSeconds?: number;
  readonly idTokenMaxAgeSeconds?: number;
  /** Shared by instances that share a store: one refresh per account across them. */
  readonly refreshLock?: RefreshLock;
}

/** The provider's documents and keys as the app wires them, for `entra`. */
export function oidcPlumbing(entra: FakeEntra, options: MsalHarnessOptions = {}) {
  const providerDiscovery = new ProviderDiscovery({
    authority: entra.authority,
    allowedTenants: options.allowedTenants ?? (entra.multiTenant ? '*' : []),
    httpTimeoutMs: 2000,
  });
  const providerKeys = new ProviderKeys({ jwksUri: async () => (await providerDiscovery.configuration()).jwks_uri, httpTimeoutMs: 2000 });
  const idTokenValidator = new IdTokenValidator({
    clientId: entra.clientId,
    providerDiscovery,
    providerKeys,
    clockSkewSeconds: options.clockSkewSeconds ?? 300,
    idTokenMaxAgeSeconds: options.idTokenMaxAgeSeconds ?? 600,
  });
  return { providerDiscovery, providerKeys, idTokenValidator };
}

export function msalIdentityProvider(entra: FakeEntra, tokenStore: TokenStore, warnings: string[] = [], options: MsalHarnessOptions = {}) {
  const networkClient = new FetchNetworkClient(2000);
  const { providerDiscovery, idTokenValidator } = oidcPlumbing(entra, options);
  const logger = warningsInto(warnings);
  return new MsalIdentityProvider({
    msalSettings: {
      authority: entra.authority,
      clientId: entra.clientId,
      clientSecret: 'test-secret',
      redirectUri: 'http://localhost:3000/auth/redirect',
      protocolMode: describeAuthority(entra.authority).microsoft ? 'AAD' : 'OIDC',
      clientCapabilities: options.clientCapabilities ?? ['cp1'],
    },
    tokenStore,
    providerDocuments: providerDiscovery,
    idTokenCheck: idTokenValidator,
    networkClient,
    logger,
    // As the app wires it: RFC 7009 at the revocation endpoint discovery advertises (FakeEntra.revocation).
    refreshTokenRevoker: new MsalRefreshTokenRevoker({ clientId: entra.clientId, clientSecret: 'test-secret', providerDocuments: providerDiscovery, logger }),
    refreshGate: new RefreshGate({ lock: options.refreshLock, lockTtlMs: 3000 }),
  });
}

/** The whole authorization code flow against the fake provider, as the SignIn use case drives it. */
export async function signInThroughMsal(
  identityProvider: MsalIdentityProvider,
  entra: FakeEntra,
  user: FakeUser,
  sid?: string,
): Promise<SignedInAccount> {
  const { authorizationUrl, checks } = await identityProvider.startSignIn({ scopes: GRAPH_SCOPES });
  const { code, state } = entra.authorize(authorizationUrl, user, sid);
  return identityProvider.completeSignIn(checks, { code, state }, GRAPH_SCOPES);
}
