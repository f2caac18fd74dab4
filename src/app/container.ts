import { asFunction, asValue, createContainer, InjectionMode, type AwilixContainer, type Resolver } from 'awilix';
import type Database from 'better-sqlite3';
import { HttpDownstreamApi } from '../adapters/http/http-downstream-api.ts';
import { MemorySessionStore } from '../adapters/memory/memory-session-store.ts';
import { MemoryReplayGuard } from '../adapters/memory/memory-replay-guard.ts';
import { MemoryTokenStore } from '../adapters/memory/memory-token-store.ts';
import { FetchNetworkClient } from '../adapters/msal/fetch-network-client.ts';
import { MsalIdentityProvider } from '../adapters/msal/msal-identity-provider.ts';
import { ProviderMetadata } from '../adapters/msal/provider-metadata.ts';
import { JoseLogoutTokenVerifier } from '../adapters/oidc/jose-logout-token-verifier.ts';
import { openSqliteDatabase, startExpirySweeper } from '../adapters/sqlite/sqlite-database.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/sqlite-replay-guard.ts';
import { SqliteSessionStore } from '../adapters/sqlite/sqlite-session-store.ts';
import { SqliteTokenStore } from '../adapters/sqlite/sqlite-token-store.ts';
import { CallApi } from '../domain/call-api.ts';
import { SignIn } from '../domain/sign-in.ts';
import { SignOutEverywhere } from '../domain/sign-out-everywhere.ts';
import type { DownstreamApi } from '../ports/downstream-api.port.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';
import type { LogoutTokenVerifier } from '../ports/logout-token-verifier.port.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { SessionStore } from '../ports/session-store.port.ts';
import type { TokenStore } from '../ports/token-store.port.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** Everything the app is made of. Only this file and the tests' set-up know this shape. */
export interface Cradle {
  config: Config;
  logger: Logger;
  now: () => number;
  database: Database.Database;
  tokenStore: TokenStore;
  sessionStore: SessionStore;
  replayGuard: ReplayGuard;
  providerMetadata: ProviderMetadata;
  identityProvider: IdentityProvider;
  logoutTokenVerifier: LogoutTokenVerifier;
  downstreamApi: DownstreamApi;
  signIn: SignIn;
  callApi: CallApi;
  signOutEverywhere: SignOutEverywhere;
  expirySweeper: { stop(): void };
}

export type AppContainer = AwilixContainer<Cradle>;

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The one composition root. Adapters are chosen from configuration here and nowhere else;
 * `overrides` replace registrations (tests swap the downstream API or the clock).
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
    providerMetadata: asFunction(
      ({ config }: Cradle) =>
        new ProviderMetadata({ authority: config.authority, networkClient: new FetchNetworkClient(config.httpTimeoutMs) }),
    ).singleton(),
    identityProvider: asFunction(
      ({ config, tokenStore, providerMetadata, logger }: Cradle) =>
        new MsalIdentityProvider({
          msalSettings: config,
          tokenStore,
          providerMetadata,
          networkClient: new FetchNetworkClient(config.httpTimeoutMs),
          logger,
        }),
    ).singleton(),
    logoutTokenVerifier: asFunction(
      ({ config, providerMetadata }: Cradle) =>
        new JoseLogoutTokenVerifier({ clientId: config.clientId, providerMetadata, httpTimeoutMs: config.httpTimeoutMs }),
    ).singleton(),
    downstreamApi: asFunction(
      ({ config }: Cradle) => new HttpDownstreamApi({ apiUrl: config.apiUrl, httpTimeoutMs: config.httpTimeoutMs }),
    ).singleton(),
    signIn: asFunction(
      ({ identityProvider, config, now }: Cradle) => new SignIn({ identityProvider, apiScopes: config.apiScopes, now }),
    ).singleton(),
    callApi: asFunction(
      ({ identityProvider, downstreamApi, config }: Cradle) =>
        new CallApi({ identityProvider, downstreamApi, apiScopes: config.apiScopes }),
    ).singleton(),
    signOutEverywhere: asFunction(
      ({ identityProvider, tokenStore, sessionStore, logoutTokenVerifier, replayGuard }: Cradle) =>
        new SignOutEverywhere({ identityProvider, tokenStore, sessionStore, logoutTokenVerifier, replayGuard }),
    ).singleton(),
    ...overrides,
  });
  return container;
}

function storeRegistrations(config: Config) {
  if (config.tokenStore === 'memory') {
    return {
      tokenStore: asFunction(
        ({ now }: Cradle) => new MemoryTokenStore({ tokenTtlSeconds: config.tokenTtlSeconds, now }),
      ).singleton(),
      sessionStore: asFunction(({ now }: Cradle) => new MemorySessionStore({ now })).singleton(),
      replayGuard: asFunction(({ now }: Cradle) => new MemoryReplayGuard({ now })).singleton(),
      expirySweeper: asFunction(({ tokenStore, sessionStore }: Cradle) => {
        const timer = setInterval(() => {
          (tokenStore as MemoryTokenStore).sweepExpired();
          (sessionStore as MemorySessionStore).sweepExpired();
        }, SWEEP_INTERVAL_MS).unref();
        return { stop: () => clearInterval(timer) };
      })
        .singleton()
        .disposer((sweeper) => sweeper.stop()),
    };
  }
  return {
    database: asFunction(() => openSqliteDatabase(config.sqlitePath))
      .singleton()
      .disposer((db) => db.close()),
    tokenStore: asFunction(
      ({ database, now }: Cradle) => new SqliteTokenStore({ db: database, tokenTtlSeconds: config.tokenTtlSeconds, now }),
    ).singleton(),
    sessionStore: asFunction(({ database, now }: Cradle) => new SqliteSessionStore({ db: database, now })).singleton(),
    replayGuard: asFunction(({ database, now }: Cradle) => new SqliteReplayGuard({ db: database, now })).singleton(),
    expirySweeper: asFunction(({ database, now }: Cradle) => startExpirySweeper(database, { intervalMs: SWEEP_INTERVAL_MS, now }))
      .singleton()
      .disposer((sweeper) => sweeper.stop()),
  };
}
