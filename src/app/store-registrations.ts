import { asFunction, asValue, type Resolver } from 'awilix';
import type Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { MemoryReplayGuard } from '../adapters/memory/memory-replay-guard.ts';
import { MemorySessionStore } from '../adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../adapters/memory/memory-token-store.ts';
import { connectRedis, redisReady } from '../adapters/redis/redis-connection.ts';
import { LocalSignOutJournal } from '../adapters/journal/local-sign-out-journal.ts';
import type { RefreshLock } from '../adapters/msal/refresh-gate.ts';
import { RedisRefreshLock } from '../adapters/redis/redis-refresh-lock.ts';
import { RedisReplayGuard } from '../adapters/redis/redis-replay-guard.ts';
import { RedisSessionStore } from '../adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../adapters/redis/redis-token-store.ts';
import { openSqliteDatabase } from '../adapters/sqlite/sqlite-database.ts';
import { startExpirySweeper } from '../adapters/sqlite/sqlite-expiry-sweeper.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/sqlite-replay-guard.ts';
import { SqliteSessionStore } from '../adapters/sqlite/sqlite-session-store.ts';
import { SqliteTokenStore } from '../adapters/sqlite/sqlite-token-store.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { SessionStore } from '../ports/session-store.port.ts';
import type { SignOutJournal } from '../ports/sign-out-journal.port.ts';
import type { TokenStore } from '../ports/token-store.port.ts';
import type { Config } from './config.ts';
import type { Logger } from './observability/logger.ts';

/** What each kind of store provides to the container. */
export interface StoreCradle {
  config: Config;
  logger: Logger;
  now: () => number;
  /** The token store before encryption (see container.ts). */
  storedTokenStore: TokenStore;
  /** The session store and replay guard as stored; container.ts measures all three. */
  storedSessionStore: SessionStore;
  storedReplayGuard: ReplayGuard;
  /** Resolves when the store answers a trivial read, rejects when it does not (readiness). */
  storeCheck: () => Promise<void>;
  /** One refresh per account across instances; `undefined` where there is one instance (memory, SQLite). */
  refreshLock: RefreshLock | undefined;
  /** Sign-outs from the provider accepted while a shared store is down; `undefined` for local stores. */
  signOutJournal: SignOutJournal | undefined;
  /** Evicts expired data where the store cannot do it by itself. */
  expirySweeper: { stop(): void };
  database: Database.Database;
  redis: Redis;
}

type Registrations = Partial<{ [K in keyof StoreCradle]: Resolver<StoreCradle[K]> }>;

const SWEEP_INTERVAL_MS = 60_000;

/** The stores TOKEN_STORE names: one process (memory), one host (sqlite), many instances (redis). */
export function storeRegistrations(config: Config): Registrations {
  switch (config.tokenStore) {
    case 'memory':
      return memoryStores(config);
    case 'sqlite':
      return sqliteStores(config);
    case 'redis':
      return redisStores(config);
  }
}

function memoryStores(config: Config): Registrations {
  return {
    storedTokenStore: asFunction(({ now }: StoreCradle) => new MemoryTokenStore({ tokenTtlSeconds: config.tokenTtlSeconds, now })).singleton(),
    storedSessionStore: asFunction(({ now }: StoreCradle) => new MemorySessionStore({ now })).singleton(),
    storedReplayGuard: asFunction(({ now }: StoreCradle) => new MemoryReplayGuard({ now })).singleton(),
    storeCheck: asValue(async () => {}),
    refreshLock: asValue(undefined),
    signOutJournal: asValue(undefined),
    expirySweeper: asFunction(({ storedTokenStore, storedSessionStore, logger }: StoreCradle) => {
      const timer = setInterval(() => {
        // Each sweep yields to the event loop between batches, so it resolves later.
        Promise.all([
          (storedTokenStore as MemoryTokenStore).sweepExpired(),
          (storedSessionStore as MemorySessionStore).sweepExpired(),
        ]).catch((error: unknown) => logger.error({ err: error }, 'expiry sweep failed'));
      }, SWEEP_INTERVAL_MS).unref();
      return { stop: () => clearInterval(timer) };
    })
      .singleton()
      .disposer((sweeper) => sweeper.stop()),
  };
}

function sqliteStores(config: Config): Registrations {
  return {
    database: asFunction(() => openSqliteDatabase(config.sqlitePath))
      .singleton()
      .disposer((db) => db.close()),
    storedTokenStore: asFunction(
      ({ database, now }: StoreCradle) => new SqliteTokenStore({ db: database, tokenTtlSeconds: config.tokenTtlSeconds, now }),
    ).singleton(),
    storedSessionStore: asFunction(({ database, now }: StoreCradle) => new SqliteSessionStore({ db: database, now })).singleton(),
    storedReplayGuard: asFunction(({ database, now }: StoreCradle) => new SqliteReplayGuard({ db: database, now })).singleton(),
    // A real table read, failing as requests' reads do (I/O error, damaged or vanished file); in WAL
    // mode another process's write lock does not stop reads, and the instance can still serve pages.
    storeCheck: asFunction(({ database }: StoreCradle) => {
      const probe = database.prepare('SELECT 1 FROM token_partitions LIMIT 1');
      return async () => void probe.get();
    }).singleton(),
    // One instance per SQLite file: the in-process refresh gate is enough, and no SQLite
    // transaction is ever held across a network call.
    refreshLock: asValue(undefined),
    signOutJournal: asValue(undefined),
    expirySweeper: asFunction(({ database, now, logger }: StoreCradle) =>
      startExpirySweeper(database, {
        intervalMs: SWEEP_INTERVAL_MS,
        now,
        onError: (error) => logger.error({ err: error }, 'expiry sweep failed'),
      }),
    )
      .singleton()
      .disposer((sweeper) => sweeper.stop()),
  };
}

function redisStores(config: Config): Registrations {
  const keyPrefix = config.redisKeyPrefix;
  return {
    redis: asFunction(({ logger }: StoreCradle) =>
      connectRedis({
        url: config.redisUrl,
        onError: (error: unknown) => logger.warn({ err: error }, 'redis connection problem'),
      }),
    )
      .singleton()
      .disposer((redis) => redis.disconnect()),
    storedTokenStore: asFunction(
      ({ redis, now }: StoreCradle) => new RedisTokenStore({ redis, keyPrefix, tokenTtlSeconds: config.tokenTtlSeconds, now }),
    ).singleton(),
    storedSessionStore: asFunction(({ redis, now }: StoreCradle) => new RedisSessionStore({ redis, keyPrefix, now })).singleton(),
    storedReplayGuard: asFunction(({ redis, now }: StoreCradle) => new RedisReplayGuard({ redis, keyPrefix, now })).singleton(),
    storeCheck: asFunction(({ redis }: StoreCradle) => async () => void (await redis.ping())).singleton(),
    refreshLock: asFunction(({ redis }: StoreCradle) => new RedisRefreshLock({ redis, keyPrefix })).singleton(),
    // Redis is shared and remote: a sign-out arriving while it is down waits here, on this host's disk.
    signOutJournal: asFunction(
      ({ logger }: StoreCradle) => new LocalSignOutJournal({ file: config.signOutJournalPath, logger }),
    ).singleton(),
    // Redis evicts expired keys itself (every key is written with a TTL).
    expirySweeper: asValue({ stop() {} }),
  };
}

/**
 * Waits (bounded) until the configured store can take commands. Redis fails commands while it is
 * not connected rather than queueing them, so without this the first requests after a start
 * would get 503s. If it is not reachable the app starts anyway and answers 503 until it is.
 */
export async function storesReady(cradle: StoreCradle): Promise<void> {
  if (cradle.config.tokenStore !== 'redis') return;
  try {
    await redisReady(cradle.redis);
  } catch {
    cradle.logger.warn({}, 'redis is not reachable yet: requests that need it answer 503 until it is');
  }
}
