import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer, type Resolver } from 'awilix';
import { EncryptingTokenStore } from '../adapters/encryption/encrypting-token-store.ts';
import { PlaintextTokenStore } from '../adapters/encryption/plaintext-token-store.ts';
import { TokenKeyring } from '../adapters/encryption/token-keyring.ts';
import { HttpDownstreamApi } from '../adapters/http/http-downstream-api.ts';
import { FetchNetworkClient } from '../adapters/msal/fetch-network-client.ts';
import { MsalIdentityProvider } from '../adapters/msal/msal-identity-provider.ts';
import { MsalRefreshTokenRevoker } from '../adapters/msal/msal-refresh-token-revoker.ts';
import { partitionViewReading } from '../adapters/msal/partition-summary.ts';
import type { PartitionView } from '../adapters/msal/partition-view.ts';
import { RefreshGate, refreshLockTtlMs } from '../adapters/msal/refresh-gate.ts';
import { describeAuthority } from '../adapters/oidc/authority.ts';
import { IdTokenValidator } from '../adapters/oidc/id-token-validator.ts';
import { JoseLogoutTokenVerifier } from '../adapters/oidc/jose-logout-token-verifier.ts';
import { ProviderDiscovery } from '../adapters/oidc/provider-discovery.ts';
import { appSigningKeysUri } from '../adapters/oidc/app-signing-keys.ts';
import { ProviderKeys } from '../adapters/oidc/provider-keys.ts';
import { ParsedPartitionCache } from '../adapters/partition-cache/parsed-partition-cache.ts';
import { CallApi } from '../domain/call-api.ts';
import { SignIn } from '../domain/sign-in.ts';
import { SignOutEverywhere } from '../domain/sign-out-everywhere.ts';
import type { DownstreamApi } from '../ports/downstream-api.port.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';
import type { LogoutTokenVerifier } from '../ports/logout-token-verifier.port.ts';
import type { RefreshTokenRevoker } from '../ports/refresh-token-revoker.port.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { SessionStore } from '../ports/session-store.port.ts';
import type { Config } from './config.ts';
import { DiscoveryWarmUp } from './discovery-warm-up.ts';
import { Lifecycle } from './lifecycle.ts';
import { AppMetrics } from './observability/app-metrics.ts';
import type { Logger } from './observability/logger.ts';
import { MeasuredReplayGuard } from './observability/measured-replay-guard.ts';
import { MeasuredSessionStore } from './observability/measured-session-store.ts';
import { MeasuredTokenStore } from './observability/measured-token-store.ts';
import { Readiness } from './observability/readiness.ts';
import { SignOutAudit } from './sign-out-audit.ts';
import { SignOutJournalReplayer } from './sign-out-journal-replayer.ts';
import { storeRegistrations, type StoreCradle } from './store-registrations.ts';
import { providerOrigins } from './provider-origins.ts';
import { RecentSids } from './recent-sids.ts';
import { servedSession } from './stored-session.ts';
import { BackgroundRefreshes } from '../adapters/msal/background-refreshes.ts';

/** Everything the app is made of. Only this file and the tests' set-up know this shape. */
export interface Cradle extends StoreCradle {
  config: Config;
  logger: Logger;
  now: () => number;
  /** What the app counts (served on METRICS_PORT). */
  metrics: AppMetrics;
  /** Whether shutdown has begun. */
  lifecycle: Lifecycle;
  /** What /readyz answers. */
  readiness: Readiness;
  /** Retries loading the provider's discovery document until it is held (started by server.ts). */
  discoveryWarmUp: DiscoveryWarmUp;
  /**
   * The token store the app uses: the stored one, measured, sealed when encryption keys are
   * configured, with the parsed partitions (access tokens only) kept in memory in front, so a
   * removal evicts them.
   */
  tokenStore: ParsedPartitionCache<PartitionView>;
  /** The stored session store and replay guard, measured. */
  sessionStore: SessionStore;
  /** Whether a stored session is one the app serves now (stored-session.ts): a device using its account's tokens. */
  sessionServed: (id: string) => Promise<boolean>;
  replayGuard: ReplayGuard;
  networkClient: FetchNetworkClient;
  /** The provider's discovery document and issuer rule, fetched once. */
  providerDiscovery: ProviderDiscovery;
  /** The origins of the provider's pages (AUTHORITY's, its end-session endpoint's), for the CSP. */
  providerOrigins: () => string;
  /** The provider's signing keys, for ID tokens and logout tokens. */
  providerKeys: ProviderKeys;
  idTokenValidator: IdTokenValidator;
  identityProvider: IdentityProvider;
  /** Token refreshes running behind requests (a token past its refresh_on); shutdown waits for them. */
  backgroundRefreshes: BackgroundRefreshes;
  logoutTokenVerifier: LogoutTokenVerifier;
  /** Revokes a removed partition's refresh token at the provider (RFC 7009), where it can. */
  refreshTokenRevoker: RefreshTokenRevoker;
  downstreamApi: DownstreamApi;
  signIn: SignIn;
  callApi: CallApi;
  signOutEverywhere: SignOutEverywhere;
  /** The one audit event per sign-out. */
  signOutAudit: SignOutAudit;
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
    metrics: asFunction(() => new AppMetrics()).singleton(),
    lifecycle: asFunction(() => new Lifecycle()).singleton(),
    readiness: asFunction(
      ({ lifecycle, providerDiscovery, storeCheck, signOutJournal }: Cradle) =>
        new Readiness({ lifecycle, providerDiscovery, storeCheck, sharedStore: config.tokenStore === 'redis', signOutJournal }),
    ).singleton(),
    discoveryWarmUp: asFunction(({ providerDiscovery, logger }: Cradle) => new DiscoveryWarmUp({ providerDiscovery, logger }))
      .singleton()
      .disposer((warmUp) => warmUp.stop()),
    ...storeRegistrations(config),
    recentSids: asFunction(() => new RecentSids()).singleton(),
    tokenStore: asFunction(({ storedTokenStore, partitionChanges, logger, metrics }: Cradle) => {
      const measured = new MeasuredTokenStore(storedTokenStore, metrics, config.tokenStore);
      const sealed =
        config.tokenEncryptionKeys.length === 0
          ? new PlaintextTokenStore({ inner: measured, logger })
          : new EncryptingTokenStore({ inner: measured, keyring: new TokenKeyring(config.tokenEncryptionKeys), clientId: config.clientId, logger });
      return new ParsedPartitionCache<PartitionView>({
        inner: sealed,
        reading: partitionViewReading(config.clientId, config.authority),
        maxEntries: config.partitionsInMemory,
        changes: partitionChanges,
      });
    }).singleton(),
    sessionStore: asFunction(({ storedSessionStore, metrics }: Cradle) => new MeasuredSessionStore(storedSessionStore, metrics, config.tokenStore)).singleton(),
    sessionServed: asFunction(({ sessionStore, signOutJournal, now }: Cradle) => servedSession(sessionStore, { config, now, signOutJournal })).singleton(),
    replayGuard: asFunction(({ storedReplayGuard, metrics }: Cradle) => new MeasuredReplayGuard(storedReplayGuard, metrics, config.tokenStore)).singleton(),
    networkClient: asFunction(({ config }: Cradle) => new FetchNetworkClient(config.httpTimeoutMs)).singleton(),
    providerDiscovery: asFunction(
      ({ config }: Cradle) =>
        new ProviderDiscovery({ authority: config.authority, allowedTenants: config.allowedTenants, httpTimeoutMs: config.httpTimeoutMs }),
    ).singleton(),
    providerOrigins: asFunction(({ config, providerDiscovery }: Cradle) => providerOrigins(config.authority, providerDiscovery)).singleton(),
    providerKeys: asFunction(
      ({ config, providerDiscovery, now }: Cradle) =>
        new ProviderKeys({
          jwksUri: async () => appSigningKeysUri((await providerDiscovery.configuration()).jwks_uri, describeAuthority(config.authority), config.clientId),
          httpTimeoutMs: config.httpTimeoutMs,
          now,
        }),
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
      ({ config, tokenStore, sessionStore, sessionServed, providerDiscovery, idTokenValidator, networkClient, logger, refreshLock, metrics, backgroundRefreshes, refreshTokenRevoker }: Cradle) =>
        new MsalIdentityProvider({
          msalSettings: { ...config, protocolMode: describeAuthority(config.authority).microsoft ? 'AAD' : 'OIDC' },
          tokenStore,
          providerDocuments: providerDiscovery,
          idTokenCheck: idTokenValidator,
          networkClient,
          logger,
          refreshTokenRevoker,
          partitionViews: tokenStore,
          refreshGate: new RefreshGate({ lock: refreshLock, lockTtlMs: refreshLockTtlMs(config.httpTimeoutMs) }),
          onSilentToken: (outcome) => metrics.silentToken(outcome),
          backgroundRefreshes,
          accountInUse: async (accountId) => {
            const sessions = await sessionStore.findByAccount(accountId);
            return (await Promise.all(sessions.map(({ id }) => sessionServed(id)))).includes(true);
          },
        }),
    ).singleton(),
    backgroundRefreshes: asFunction(() => new BackgroundRefreshes()).singleton(),
    logoutTokenVerifier: asFunction(
      ({ config, providerDiscovery, providerKeys }: Cradle) =>
        new JoseLogoutTokenVerifier({ clientId: config.clientId, providerDiscovery, providerKeys, clockSkewSeconds: config.clockSkewSeconds }),
    ).singleton(),
    refreshTokenRevoker: asFunction(
      ({ config, providerDiscovery, logger }: Cradle) =>
        new MsalRefreshTokenRevoker({
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          providerDocuments: providerDiscovery,
          logger,
          timeoutMs: config.httpTimeoutMs,
        }),
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
      ({ identityProvider, downstreamApi, config, signOutEverywhere, signOutAudit }: Cradle) =>
        new CallApi({ identityProvider, downstreamApi, apiScopes: config.apiScopes, revokedTokens: signOutAudit.revocations(signOutEverywhere) }),
    ).singleton(),
    signOutEverywhere: asFunction(
      ({ identityProvider, tokenStore, sessionStore, logoutTokenVerifier, replayGuard, refreshTokenRevoker, signOutJournal, sessionServed, now }: Cradle) =>
        new SignOutEverywhere({
          identityProvider,
          tokenStore,
          sessionStore,
          logoutTokenVerifier,
          replayGuard,
          refreshTokenRevoker,
          signOutJournal,
          sessionServed,
          now,
        }),
    ).singleton(),
    signOutAudit: asFunction(({ logger, metrics }: Cradle) => new SignOutAudit({ logger, metrics })).singleton(),
    signOutJournalReplayer: asFunction(
      ({ signOutJournal, signOutEverywhere, signOutAudit, logger }: Cradle) =>
        new SignOutJournalReplayer({ signOutJournal, signOutEverywhere, signOutAudit, logger }).start(),
    )
      .singleton()
      .disposer((replayer) => replayer.stop()),
    ...overrides,
  });
  return container;
}
