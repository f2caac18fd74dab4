import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { operationDeadlineMs } from './redis-connection.ts';
import { RedisScript } from './redis-script.ts';
import { guarded } from './redis-store-error.ts';

/** Deletes the lock only if this holder still has it (it may have expired and been taken since). */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Makes the lock last ARGV[2] ms from now only if this holder still has it. */
const EXTEND = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/**
 * A short lock per account (`<prefix>refresh-lock:<accountId>`, `SET NX PX`), so that of several
 * instances sharing Redis only one refreshes an account's tokens at a time.
 */
export class RedisRefreshLock {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #deadlineMs: number;

  constructor(deps: { redis: Redis; keyPrefix: string }) {
    this.#redis = deps.redis;
    this.#keyPrefix = deps.keyPrefix;
    this.#deadlineMs = operationDeadlineMs(deps.redis);
  }

  async tryAcquire(accountId: string, ttlMs: number): Promise<{ extend(ttlMs: number): Promise<boolean>; release(): Promise<void> } | undefined> {
    const key = `${this.#keyPrefix}refresh-lock:${accountId}`;
    const holder = randomUUID();
    const taken = await guarded(this.#deadlineMs, () => this.#redis.set(key, holder, 'PX', ttlMs, 'NX'));
    if (taken !== 'OK') return undefined;
    return {
      extend: async (extendedTtlMs) => (await guarded(this.#deadlineMs, () => EXTEND.run(this.#redis, [key], [holder, String(extendedTtlMs)]))) === 1,
      release: async () => {
        await guarded(this.#deadlineMs, () => RELEASE.run(this.#redis, [key], [holder]));
      },
    };
  }
}
