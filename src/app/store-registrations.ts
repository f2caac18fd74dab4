import { asFunction, asValue, type Resolver } from 'awilix';
import type Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { MemoryReplayGuard } from '../adapters/memory/memory-replay-guard.ts';
import { MemorySessionStore } from '../adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../adapters/memory/memory-token-store.ts';
import type { PartitionChanges } from '../adapters/partition-cache/parsed-partition-cache.ts';
import { connectRedis, redisReady, refusedDatabase, refusesCredentials } from '../adapters/redis/redis-connection.ts';
import { RedisInvalidations } from '../adapters/redis/redis-invalidations.ts';
import { SignOutJournalInUse } from '../adapters/journal/journal-file-lock.ts';
import { LocalSignOutJournal } from '../adapters/journal/local-sign-out-journal.ts';
import type { RefreshLock } from '../adapters/msal/refresh-gate.ts';
import { RedisRefreshLock } from '../adapters/redis/redis-refresh-lock.ts';
import { RedisReplayGuard } from '../adapters/redis/redis-replay-guard.ts';
import { RedisSessionStore } from '../adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../adapters/redis/redis-token-store.ts';
import { claimedFor, openSqliteDatabase } from '../adapters/sqlite/sqlite-database.ts';
import { SqliteFileChanges } from '../adapters/sqlite/sqlite-file-changes.ts';
import { SqliteFileIdentity } from '../adapters/sqlite/sqlite-file-identity.ts';
import { SqlitePartitionRemovals } from '../adapters/sqlite/sqlite-partition-removals.ts';
import { SqliteRefreshLock } from '../adapters/sqlite/sqlite-refresh-lock.ts';
import { startExpirySweeper, type ExpirySweeper } from '../adapters/sqlite/sqlite-expiry-sweeper.ts';
import { SqliteReplayGuard } from '../adapters/sqlite/sqlite-replay-guard.ts';
import { SqliteSessionStore } from '../adapters/sqlite/sqlite-session-store.ts';
import { SqliteTokenStore } from '../adapters/sqlite/sqlite-token-store.ts';
import { startWalCheckpointer, type WalCheckpointer } from '../adapters/sqlite/wal-checkpointer.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { SessionStore } from '../ports/session-store.port.ts';
import type { SignOutJournal } from '../ports/sign-out-journal.port.ts';
import type { TokenStore } from '../ports/token-store.port.ts';
import { ConfigError, tokenPartitionTtlSeconds, type Config } from './config.ts';
import type { Logger } from './observability/logger.ts';
import type { RecentSids } from './recent-sids.ts';
import { unusablePath } from './unusable-path.ts';

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
  /** Partitions changed or removed elsewhere, as the store reports them (Redis, SQLite, memory); `undefined` when nothing is kept in memory. */
  partitionChanges: PartitionChanges | undefined;
  /** One refresh per account across the processes sharing the store (SQLite, Redis); `undefined` for memory (one process). */
  refreshLock: RefreshLock | undefined;
  /** Sign-outs from the provider accepted while a shared store is down; `undefined` for local stores. */
  signOutJournal: SignOutJournal | undefined;
  /** The sids of sessions this instance served lately (container.ts): the journal lets them past its unverified share. */
  recentSids: RecentSids;
  /** Evicts expired data where the store cannot do it by itself. */
  expirySweeper: ExpirySweeper;
  database: Database.Database;
  /** Whether opening the SQLite file claims it for CLIENT_ID when no app has (an instance), or only checks (the operator's command). */
  sqliteClaim: 'record' | 'check';
  /** Checkpoints the SQLite file's WAL in a worker thread, off the event loop; `undefined` for other stores. */
  walCheckpointer: WalCheckpointer | undefined;
  /** Whether another process wrote the SQLite file: what lets the SQLite stores remember reads. */
  sqliteFileChanges: SqliteFileChanges;
  /** Whether SQLITE_PATH still names the file opened; `undefined` for an in-memory database. */
  sqliteFileIdentity: SqliteFileIdentity | undefined;
  /** Token partitions removed from the SQLite file by any process; `undefined` when nothing is kept in memory. */
  sqlitePartitionRemovals: SqlitePartitionRemovals | undefined;
  redis: Redis;
  /** Redis client tracking: what lets each instance keep sessions and token versions in memory. */
  redisInvalidations: RedisInvalidations;
}

type Registrations = Partial<{ [K in keyof StoreCradle]: Resolver<StoreCradle[K]> }>;

const SWEEP_INTERVAL_MS = 60_000;
/** How often an instance looks at the SQLite file for other processes' changes when no request does. */
const FILE_LOOK_INTERVAL_MS = 1000;

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
    storedTokenStore: asFunction(({ now }: StoreCradle) => new MemoryTokenStore({ tokenTtlSeconds: tokenPartitionTtlSeconds(config), now })).singleton(),
    storedSessionStore: asFunction(({ now }: StoreCradle) => new MemorySessionStore({ now })).singleton(),
    storedReplayGuard: asFunction(({ now }: StoreCradle) => new MemoryReplayGuard({ now })).singleton(),
    storeCheck: asValue(async () => {}),
    // The sweep's deletions (a store wrapped by a test has none to tell).
    partitionChanges: asFunction(({ storedTokenStore }: StoreCradle) =>
      storedTokenStore instanceof MemoryTokenStore ? storedTokenStore : undefined,
    ).singleton(),
    refreshLock: asValue(undefined),
    signOutJournal: asValue(undefined),
    walCheckpointer: asValue(undefined),
    expirySweeper: asFunction(({ storedTokenStore, storedSessionStore, logger }: StoreCradle): ExpirySweeper => {
      // Each sweep yields to the event loop between batches, so it resolves later.
      const sweep = () =>
        Promise.all([(storedTokenStore as MemoryTokenStore).sweepExpired(), (storedSessionStore as MemorySessionStore).sweepExpired()]).then(
          () => {},
          (error: unknown) => logger.error({ err: error }, 'expiry sweep failed'),
        );
      const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS).unref();
      return { sweep, stop: () => clearInterval(timer) };
    })
      .singleton()
      .disposer((sweeper) => sweeper.stop()),
  };
}

function sqliteStores(config: Config): Registrations {
  /**
   * TOKEN_MEMORY_CACHE_ENTRIES bounds the sessions and versions the SQLite stores remember too (0:
   * none). Given the file's changes even then: a look at them fails once the file is gone from its path.
   */
  const remembering = (fileChanges: SqliteFileChanges) => ({ fileChanges, remember: config.partitionsInMemory });
  return {
    // An app instance claims a file no app has claimed; the operator's command overrides this with 'check'.
    sqliteClaim: asValue('record' as const),
    database: asFunction(({ sqliteClaim }: StoreCradle) => {
      try {
        const database = openSqliteDatabase(config.sqlitePath);
        try {
          return claimedFor(database, config.clientId, sqliteClaim);
        } catch (error) {
          database.close();
          throw error;
        }
      } catch (error) {
        throw unusablePath(error, 'SQLITE_PATH', config.sqlitePath);
      }
    })
      .singleton()
      .disposer((db) => db.close()),
    // Also looked at every second when no request does, so an idle instance drops what another
    // process's change made stale (sqlite-partition-removals.ts).
    // Not for an in-memory database: no path names it. Built once the file is open: the file opened.
    sqliteFileIdentity: asFunction(({ database }: StoreCradle) =>
      config.sqlitePath === ':memory:' || config.sqlitePath === '' || !database.open ? undefined : new SqliteFileIdentity(config.sqlitePath),
    ).singleton(),
    sqliteFileChanges: asFunction(
      ({ database, sqliteFileIdentity }: StoreCradle) =>
        new SqliteFileChanges(database, {
          ...(config.partitionsInMemory > 0 || sqliteFileIdentity ? { lookEveryMs: FILE_LOOK_INTERVAL_MS } : {}),
          ...(sqliteFileIdentity ? { identity: sqliteFileIdentity } : {}),
        }),
    )
      .singleton()
      .disposer((fileChanges) => fileChanges.stop()),
    storedTokenStore: asFunction(
      ({ database, now, sqliteFileChanges }: StoreCradle) =>
        new SqliteTokenStore({ db: database, tokenTtlSeconds: tokenPartitionTtlSeconds(config), now, ...remembering(sqliteFileChanges) }),
    ).singleton(),
    storedSessionStore: asFunction(
      ({ database, now, sqliteFileChanges }: StoreCradle) => new SqliteSessionStore({ db: database, now, ...remembering(sqliteFileChanges) }),
    ).singleton(),
    storedReplayGuard: asFunction(({ database, now }: StoreCradle) => new SqliteReplayGuard({ db: database, now })).singleton(),
    // A real table read, failing as requests' reads do (I/O error, damaged file); in WAL mode another
    // process's write lock does not stop reads, and the instance can still serve pages. A file deleted
    // or replaced under a running instance is still read through the handle SQLite holds, so the path
    // is looked at too (sqlite-file-identity.ts): such an instance is taken out, as its pages fail.
    // Both tables every page reads (sessions, tokens): a damaged page in one is not seen in the other.
    storeCheck: asFunction(({ database, sqliteFileIdentity }: StoreCradle) => {
      const probes = ['SELECT 1 FROM token_partitions LIMIT 1', 'SELECT 1 FROM sessions LIMIT 1'].map((sql) => database.prepare(sql));
      return async () => {
        sqliteFileIdentity?.assertSameFile();
        for (const probe of probes) probe.get();
      };
    }).singleton(),
    // Other processes may write the file, and SQLite has no channel to say so: every use of a parsed
    // partition is checked against the partition's version, which the token store remembers only
    // while `PRAGMA data_version` says no other process has committed (sqlite-file-changes.ts); and
    // a removal made anywhere reaches the parsed copies through the file's removal log.
    sqlitePartitionRemovals: asFunction(({ database, sqliteFileChanges }: StoreCradle) =>
      config.partitionsInMemory > 0 ? new SqlitePartitionRemovals({ db: database, fileChanges: sqliteFileChanges }) : undefined,
    ).singleton(),
    partitionChanges: asFunction(({ sqlitePartitionRemovals }: StoreCradle) => sqlitePartitionRemovals).singleton(),
    // Other processes may serve from the same file (a pm2 cluster): a row per account being
    // refreshed, committed before the refresh's network call, so no SQLite transaction spans it.
    refreshLock: asFunction(({ database, now }: StoreCradle) => new SqliteRefreshLock({ db: database, now })).singleton(),
    signOutJournal: asValue(undefined),
    walCheckpointer: asFunction(({ database, logger }: StoreCradle) =>
      startWalCheckpointer(database, {
        onFailure: (error) => logger.error({ err: error }, 'WAL checkpoint worker failed; checkpoints run on commit again'),
      }),
    )
      .singleton()
      .disposer((checkpointer) => checkpointer.stop()),
    expirySweeper: asFunction(({ database, now, logger, sqlitePartitionRemovals }: StoreCradle) =>
      startExpirySweeper(database, {
        intervalMs: SWEEP_INTERVAL_MS,
        now,
        onError: (error) => logger.error({ err: error }, 'expiry sweep failed'),
        // This process's own deletes move no data_version it sees: the log they left is read at once.
        afterPartitionBatch: () => sqlitePartitionRemovals?.readLog(),
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
    redisInvalidations: asFunction(
      ({ redis, logger }: StoreCradle) =>
        new RedisInvalidations({ redis, prefixes: [`${keyPrefix}tokens:`, `${keyPrefix}session:`], logger }),
    )
      .singleton()
      .disposer((channel) => channel.stop()),
    storedTokenStore: asFunction(
      (cradle: StoreCradle) =>
        new RedisTokenStore({ redis: cradle.redis, keyPrefix, tokenTtlSeconds: tokenPartitionTtlSeconds(config), now: cradle.now, invalidations: kept(cradle) }),
    ).singleton(),
    partitionChanges: asFunction(({ storedTokenStore }: StoreCradle) => storedTokenStore as RedisTokenStore).singleton(),
    storedSessionStore: asFunction(
      (cradle: StoreCradle) => new RedisSessionStore({ redis: cradle.redis, keyPrefix, now: cradle.now, invalidations: kept(cradle) }),
    ).singleton(),
    storedReplayGuard: asFunction(({ redis, now }: StoreCradle) => new RedisReplayGuard({ redis, keyPrefix, now })).singleton(),
    storeCheck: asFunction(({ redis }: StoreCradle) => async () => void (await redis.ping())).singleton(),
    refreshLock: asFunction(({ redis }: StoreCradle) => new RedisRefreshLock({ redis, keyPrefix })).singleton(),
    // Redis is shared and remote: a sign-out arriving while it is down waits here, on this host's disk.
    // Resolved at start (the journal's replayer is background work), so a refused file stops the start.
    // A journaled sign-out names a sid or a subject, not the keys this instance holds, and Redis
    // announces nothing until it is applied: every copy held here is dropped at once (the
    // invalidation channel may well be up while the store's own connection failed).
    signOutJournal: asFunction((cradle: StoreCradle) => {
      const channel = config.partitionsInMemory > 0 ? cradle.redisInvalidations : undefined;
      const { recentSids } = cradle;
      return openSignOutJournal(config, cradle.logger, channel && (() => channel.forgetAll()), (sid) => recentSids.has(sid));
    })
      .singleton()
      .disposer((journal) => journal.close()),
    // Redis evicts expired keys itself (every key is written with a TTL).
    walCheckpointer: asValue(undefined),
    expirySweeper: asValue({ sweep: async () => {}, stop() {} }),
  };

  /**
   * TOKEN_MEMORY_CACHE_ENTRIES bounds each cache kept beside Redis (0: none, and no channel: the
   * cradle is a proxy, so the invalidation connection is made only when it is read here).
   */
  function kept(cradle: Pick<StoreCradle, 'redisInvalidations'>) {
    return config.partitionsInMemory > 0 ? { channel: cradle.redisInvalidations, maxEntries: config.partitionsInMemory } : undefined;
  }
}

/**
 * The instance's journal file, held by this process until the container is disposed. A file that
 * another live instance holds is a configuration mistake (each process rewrites the whole file from
 * its own memory, so the two would erase each other's sign-outs): the start stops naming the setting.
 */
export function openSignOutJournal(
  config: Pick<Config, 'signOutJournalPath' | 'formerSignOutJournalPath'>,
  logger: Logger,
  onAppended?: () => void,
  knownSid?: (sid: string) => boolean,
): LocalSignOutJournal {
  try {
    return new LocalSignOutJournal({ file: config.signOutJournalPath, formerFile: config.formerSignOutJournalPath, logger, onAppended, knownSid });
  } catch (error) {
    if (!(error instanceof SignOutJournalInUse)) throw unusablePath(error, 'SIGN_OUT_JOURNAL_PATH', config.signOutJournalPath);
    const holder = error.pid !== undefined ? `process ${error.pid}` : 'another process';
    throw new ConfigError(
      `SIGN_OUT_JOURNAL_PATH "${config.signOutJournalPath}" is in use by ${holder} (lock file ${error.lockFile}): ` +
        'each instance needs its own journal file; give this one another SIGN_OUT_JOURNAL_PATH',
    );
  }
}

/**
 * Waits (bounded) until the configured store can take commands: `false` when Redis did not answer
 * in time. Redis fails commands while it is not connected rather than queueing them, so without
 * this the first requests after a start would get 503s. If it is not reachable the app starts
 * anyway and answers 503 until it is (the operator's command fails at once). A database REDIS_URL
 * names that Redis refuses stops the start (a ConfigError): the app would otherwise work in
 * database 0. So do credentials it refuses: waiting would not end that.
 */
export async function storesReady(cradle: StoreCradle): Promise<boolean> {
  if (cradle.config.tokenStore !== 'redis') return true;
  let refusal: string | undefined;
  // Heard while waiting: Redis answering, but refusing who the app says it is, is no outage to wait out.
  let credentialsRefusal: string | undefined;
  const onError = (error: Error) => {
    if (refusesCredentials(error)) credentialsRefusal = error.message;
  };
  cradle.redis.on('error', onError);
  try {
    await redisReady(cradle.redis);
    refusal = await refusedDatabase(cradle.redis, cradle.config.redisUrl);
  } catch {
    if (credentialsRefusal) throw new ConfigError(`REDIS_URL gives credentials this Redis refuses: ${credentialsRefusal}`);
    return false;
  } finally {
    cradle.redis.off('error', onError);
  }
  if (refusal) throw new ConfigError(`REDIS_URL names a database this Redis does not have: ${refusal}`);
  // Stopped: Redis refused tracking, and said why in the log; there is nothing to wait for.
  if (cradle.config.partitionsInMemory > 0 && !(await cradle.redisInvalidations.ready(REDIS_CONNECT_WAIT_MS)) && !cradle.redisInvalidations.stopped) {
    cradle.logger.warn({}, 'redis invalidations are not flowing yet: sessions and token versions are read from Redis until they do');
  }
  return true;
}

const REDIS_CONNECT_WAIT_MS = 5000;
