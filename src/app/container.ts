import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer, type Resolver } from 'awilix';
import { EncryptingTokenStore } from '../adapters/encryption/encrypting-token-store.ts';
import { TokenKeyring } from '../adapters/encryption/token-keyring.ts';
import { HttpDownstreamApi } from '../adapters/http/http-downstream-api.ts';
import { FetchNetworkClient } from '../adapters/msal/fetch-network-client.ts';
import { MsalIdentityProvider } from '../adapters/msal/msal-identity-provider.ts';
import { partitionView, type PartitionView } from '../adapters/msal/partition-view.ts';
import { RefreshGate } from '../adapters/msal/refresh-gate.ts';
import { describeAuthority } from '../adapters/oidc/authority.ts';
import { IdTokenValidator } from '../adapters/oidc/id-token-validator.ts';
import { JoseLogoutTokenVerifier } from '../adapters/oidc/jose-logout-token-verifier.ts';
import { ProviderDiscovery } from '../adapters/oidc/provider-discovery.ts';
import { ProviderKeys } from '../adapters/oidc/provider-keys.ts';
import { ParsedPartitionCache } from '../adapters/partition-cache/parsed-partition-cache.ts';
import { CallApi } from '../domain/call-api.ts';
import { SignIn } from '../domain/sign-in.ts';
import { SignOutEverywhere } from '../domain/sign-out-everywhere.ts';
import type { DownstreamApi } from '../ports/downstream-api.port.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';
import type { LogoutTokenVerifier } from '../ports/logout-token-verifier.port.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { SignOutJournalReplayer } from './sign-out-journal-replayer.ts';
import { storeRegistrations, type StoreCradle } from './store-registrations.ts';

/** Everything the app is made of. Only this file and the tests' set-up know this shape. */
export interface Cradle extends StoreCradle {
  config: Config;
  logger: Logger;
  now: () => number;
  /**
   * The token store the app uses: the stored one, sealed when encryption keys are configured, with
   * the parsed partitions (access tokens only) kept in memory in front, so a removal evicts them.
   */
  tokenStore: ParsedPartitionCache<PartitionView>;
  networkClient: FetchNetworkClient;
  /** The provider's discovery document and issuer rule, fetched once. */
  providerDiscovery: ProviderDiscovery;
  /** The provider's signing keys, for ID tokens and logout tokens. */
  providerKeys: ProviderKeys;
  idTokenValidator: IdTokenValidator;
  identityProvider: IdentityProvider;
  logoutTokenVerifier: LogoutTokenVerifier;
  downstreamApi: DownstreamApi;
  signIn: SignIn;
  callApi: CallApi;
  signOutEverywhere: SignOutEverywhere;
  /** Applies journaled sign-outs once the store answers again. */
  signOutJournalReplayer: SignOutJournalReplayer;
}

export type AppContainer = AwilixContainer<Cradle>;

/**
 * The one composition root (with store-registrations.ts, which picks the stores): adapters are
 * chosen from configuration here and nowhere else; `overrides` replace registrations (tests and
 * the benchmark swap the provider metadata, the downstream API or the clock).
 */
export function createAppContainer(
  config: Config,
  logger: Logger,
  overrides: Partial<{ [K in keyof Cradle]: Resolver<Cradle[K]> }> = {},
): AppContainer {
  const container = createContainer<Cradle>({ injectionMode: InjectionMode.PROXY, strict: true });
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    now: asValue(Date.now),
    ...storeRegistrations(config),
    tokenStore: asFunction(
      ({ storedTokenStore, partitionChanges, logger }: Cradle) =>
        new ParsedPartitionCache<PartitionView>({
          inner:
            config.tokenEncryptionKeys.length === 0
              ? storedTokenStore
              : new EncryptingTokenStore({
                  inner: storedTokenStore,
                  keyring: new TokenKeyring(config.tokenEncryptionKeys),
                  clientId: config.clientId,
                  warn: logger.warn,
                }),
          parse: (data, version, accountId) => partitionView(data, version, accountId, config.clientId),
          maxEntries: config.partitionsInMemory,
          changes: partitionChanges,
        }),
    ).singleton(),
    networkClient: asFunction(({ config }: Cradle) => new FetchNetworkClient(config.httpTimeoutMs)).singleton(),
    providerDiscovery: asFunction(
      ({ config }: Cradle) =>
        new ProviderDiscovery({ authority: config.authority, allowedTenants: config.allowedTenants, httpTimeoutMs: config.httpTimeoutMs }),
    ).singleton(),
    providerKeys: asFunction(
      ({ config, providerDiscovery, now }: Cradle) =>
        new ProviderKeys({ jwksUri: async () => (await providerDiscovery.configuration()).jwks_uri, httpTimeoutMs: config.httpTimeoutMs, now }),
    ).singleton(),
    idTokenValidator: asFunction(
      ({ config, providerDiscovery, providerKeys }: Cradle) =>
        new IdTokenValidator({
          clientId: config.clientId,
          providerDiscovery,
          providerKeys,
          clockSkewSeconds: config.clockSkewSeconds,
          idTokenMaxAgeSeconds: config.idTokenMaxAgeSeconds,
        }),
    ).singleton(),
    identityProvider: asFunction(
      ({ config, tokenStore, providerDiscovery, idTokenValidator, networkClient, logger, refreshLock }: Cradle) =>
        new MsalIdentityProvider({
          msalSettings: { ...config, protocolMode: describeAuthority(config.authority).microsoft ? 'AAD' : 'OIDC' },
          tokenStore,
          providerDocuments: providerDiscovery,
          idTokenCheck: idTokenValidator,
          networkClient,
          logger,
          partitionViews: tokenStore,
          refreshGate: new RefreshGate({ lock: refreshLock, lockTtlMs: config.httpTimeoutMs + 1000 }),
        }),
    ).singleton(),
    logoutTokenVerifier: asFunction(
      ({ config, providerDiscovery, providerKeys }: Cradle) =>
        new JoseLogoutTokenVerifier({ clientId: config.clientId, providerDiscovery, providerKeys, clockSkewSeconds: config.clockSkewSeconds }),
    ).singleton(),
    downstreamApi: asFunction(
      ({ config }: Cradle) => new HttpDownstreamApi({ apiUrl: config.apiUrl, httpTimeoutMs: config.httpTimeoutMs }),
    )
      .singleton()
      .disposer((api) => (api as HttpDownstreamApi).close()),
    signIn: asFunction(
      ({ identityProvider, config, now }: Cradle) => new SignIn({ identityProvider, apiScopes: config.apiScopes, now }),
    ).singleton(),
    callApi: asFunction(
      ({ identityProvider, downstreamApi, config, signOutEverywhere }: Cradle) =>
        new CallApi({ identityProvider, downstreamApi, apiScopes: config.apiScopes, revokedTokens: signOutEverywhere }),
    ).singleton(),
    signOutEverywhere: asFunction(
      ({ identityProvider, tokenStore, sessionStore, logoutTokenVerifier, replayGuard, signOutJournal, now }: Cradle) =>
        new SignOutEverywhere({ identityProvider, tokenStore, sessionStore, logoutTokenVerifier, replayGuard, signOutJournal, now }),
    ).singleton(),
    signOutJournalReplayer: asFunction(
      ({ signOutJournal, signOutEverywhere, logger }: Cradle) => new SignOutJournalReplayer({ signOutJournal, signOutEverywhere, logger }).start(),
    )
      .singleton()
      .disposer((replayer) => replayer.stop()),
    ...overrides,
  });
  return container;
}
