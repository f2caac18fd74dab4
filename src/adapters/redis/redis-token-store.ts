import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { partitionTtlMs, type TokenPartition, type TokenPartitionSummary, type TokenStore } from '../../ports/token-store.port.ts';
import { RedisScript } from './redis-script.ts';
import { operationDeadlineMs } from './redis-connection.ts';
import { guarded } from './redis-store-error.ts';
import { TrackedCache, type InvalidationChannel } from './tracked-cache.ts';

interface CachedVersion {
  readonly version: string;
  readonly expiresAt: number;
}

/**
 * Writes a partition, optionally only if it still has the expected, unexpired version.
 * KEYS[1] partition hash; ARGV: data, version, expiresAt, ttlMs, now, conditional ('1'/'0'),
 * expectedVersion, summary ('' for none: the field is deleted, so no older summary stays beside new data;
 * else `<version> <summary>`, see SUMMARY_OF).
 * Check and write are one script: a check followed by a separate write would let another instance's
 * sign-out (DEL) land in between, and the refresh would write the tokens back. A compare-and-set (a
 * refresh) leaves the expiry alone (HSET keeps a key's TTL); a sign-in's write sets it `ttlMs` from now.
 */
const WRITE = new RedisScript(`
if ARGV[6] == '1' then
  local current = redis.call('HMGET', KEYS[1], 'version', 'expiresAt')
  if current[1] ~= ARGV[7] or not current[2] or tonumber(current[2]) <= tonumber(ARGV[5]) then
    return 0
  end
  redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', ARGV[2], 'expiresAt', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if ARGV[8] == '' then
  redis.call('HDEL', KEYS[1], 'summary')
else
  redis.call('HSET', KEYS[1], 'summary', ARGV[8])
end
return 1
`);

/**
 * A summary is stored as `<version> <summary>`, the version of the write that gave it, and read only
 * while the partition still has that version. An instance of an earlier release (during a rolling
 * upgrade) rewrites `data` and `version` without knowing of `summary`; its summary, left behind, then
 * no longer matches and reads as none, instead of older tokens passing for the new ones.
 */
const SUMMARY_OF = ' ';

/**
 * Deletes a partition only while it has the expected version. KEYS[1] partition hash; ARGV: expectedVersion.
 * One script, for the reason WRITE is one: a refresh's write landing between a check and a DEL.
 */
const REMOVE_IF_VERSION = new RedisScript(`
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * Moves an unexpired partition's expiry later, never earlier; a missing one stays missing.
 * KEYS[1] partition hash; ARGV: expiresAt, now.
 */
const KEEP_UNTIL = new RedisScript(`
local current = redis.call('HGET', KEYS[1], 'expiresAt')
if not current or tonumber(current) <= tonumber(ARGV[2]) or tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) - tonumber(ARGV[2]))
return 1
`);

/**
 * TokenStore on Redis, shared by every app instance: one hash per partition at
 * `<prefix>tokens:<accountId>` with `data`, `version`, `expiresAt` and, when the write gave one, `summary`.
 *
 * Redis evicts a partition by itself when it expires (PEXPIRE, set by a sign-in's write and by
 * `keepUntil`). `expiresAt`, taken from the injected clock, is checked as well, so a partition counts
 * as absent exactly when the port says it expired, even a few ms before Redis evicts it (and under a
 * test's fake clock). Versions are random, so a remove + re-create never reuses one (no ABA).
 *
 * With an invalidation channel, `version` — asked on every signed-in request, to check the parsed
 * copy kept in memory — is answered from memory while the channel is usable, and the copy is
 * dropped when any instance writes or removes the partition. It saved a Redis round trip per
 * request (25–50 µs of the app's CPU each). Partition data is never kept here.
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #deadlineMs: number;
  readonly #channel: InvalidationChannel | undefined;
  readonly #versions: TrackedCache<CachedVersion> | undefined;

  constructor(deps: {
    redis: Redis;
    keyPrefix: string;
    tokenTtlSeconds: number;
    now?: () => number;
    /** Versions kept in memory, dropped on invalidation; none without it. */
    invalidations?: { channel: InvalidationChannel; maxEntries: number };
  }) {
    this.#redis = deps.redis;
    this.#keyPrefix = deps.keyPrefix;
    this.#ttlMs = partitionTtlMs(deps.tokenTtlSeconds);
    this.#now = deps.now ?? Date.now;
    this.#deadlineMs = operationDeadlineMs(deps.redis);
    this.#channel = deps.invalidations?.channel;
    this.#versions = deps.invalidations && new TrackedCache(deps.invalidations);
  }

  /**
   * Tells `listener` of every partition written or removed by any instance, and when changes may
   * have been missed (the channel broke): PartitionChanges, for the parsed-partition cache.
   */
  subscribe(listener: { changed(accountId: string): void; lost(): void }): void {
    const prefix = this.#key('');
    this.#channel?.subscribe({
      keys: (keys) => {
        for (const key of keys) if (key.startsWith(prefix)) listener.changed(key.slice(prefix.length));
      },
      lost: () => listener.lost(),
    });
  }

  /** Whether changes are heard now (PartitionChanges): the invalidation channel is usable. */
  listening(): boolean {
    return this.#channel?.usable() ?? false;
  }

  async read(accountId: string): Promise<TokenPartition | undefined> {
    return this.#readWithVersion(accountId, 'data', (data, version) => (data === null ? undefined : { data, version }));
  }

  async readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    return this.#readWithVersion(accountId, 'summary', (summary, version) => ({ summary: summaryOfVersion(summary, version), version }));
  }

  /**
   * One field of an unexpired partition, with its version, as `make` shapes them. The version comes
   * with the field: kept, the next version check needs no round trip.
   */
  async #readWithVersion<T>(accountId: string, field: 'data' | 'summary', make: (value: string | null, version: string) => T | undefined): Promise<T | undefined> {
    const key = this.#key(accountId);
    let found: T | undefined;
    const load = async (): Promise<CachedVersion | undefined> => {
      const [value, version, expiresAt] = await guarded(this.#deadlineMs, () => this.#redis.hmget(key, field, 'version', 'expiresAt'));
      if (version == null || expiresAt == null) return undefined;
      if (Number(expiresAt) > this.#now()) found = make(value ?? null, version);
      return { version, expiresAt: Number(expiresAt) };
    };
    await (this.#versions ? this.#versions.load(key, load) : load());
    return found;
  }

  async version(accountId: string): Promise<string | undefined> {
    const key = this.#key(accountId);
    const versions = this.#versions;
    const found = versions ? (versions.get(key) ?? (await versions.load(key, () => this.#readVersion(key)))) : await this.#readVersion(key);
    return found && found.expiresAt > this.#now() ? found.version : undefined;
  }

  async #readVersion(key: string): Promise<CachedVersion | undefined> {
    const [version, expiresAt] = await guarded(this.#deadlineMs, () => this.#redis.hmget(key, 'version', 'expiresAt'));
    return version == null || expiresAt == null ? undefined : { version, expiresAt: Number(expiresAt) };
  }

  async write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    const now = this.#now();
    const conditional = expectedVersion === undefined ? ['0', ''] : ['1', expectedVersion];
    const version = randomUUID();
    const args = [data, version, now + this.#ttlMs, this.#ttlMs, now, ...conditional, summary === undefined ? '' : `${version}${SUMMARY_OF}${summary}`];
    const written = await this.#changing(accountId, (key) => guarded(this.#deadlineMs, () => WRITE.run(this.#redis, [key], args)));
    return written === 1;
  }

  async remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    if (expectedVersion === undefined) {
      await this.#changing(accountId, (key) => guarded(this.#deadlineMs, () => this.#redis.del(key)));
      return true;
    }
    const removed = await this.#changing(accountId, (key) => guarded(this.#deadlineMs, () => REMOVE_IF_VERSION.run(this.#redis, [key], [expectedVersion])));
    return removed === 1;
  }

  async keepUntil(accountId: string, expiresAt: number): Promise<void> {
    const args = [Math.ceil(expiresAt), this.#now()];
    await this.#changing(accountId, (key) => guarded(this.#deadlineMs, () => KEEP_UNTIL.run(this.#redis, [key], args)));
  }

  /** A change made here: the copy in memory goes before (and, for reads racing it, after) the change. */
  async #changing<T>(accountId: string, change: (key: string) => Promise<T>): Promise<T> {
    const key = this.#key(accountId);
    this.#versions?.evict(key);
    try {
      return await change(key);
    } finally {
      this.#versions?.evict(key);
    }
  }

  /** Whether this instance holds the account's version in memory (what the tests inspect). */
  holdsVersion(accountId: string): boolean {
    return this.#versions?.has(this.#key(accountId)) ?? false;
  }

  #key(accountId: string): string {
    return `${this.#keyPrefix}tokens:${accountId}`;
  }
}

/** The stored summary when it was written with `version` (see SUMMARY_OF), else `undefined`. */
function summaryOfVersion(stored: string | null, version: string): string | undefined {
  const prefix = `${version}${SUMMARY_OF}`;
  return stored?.startsWith(prefix) ? stored.slice(prefix.length) : undefined;
}
