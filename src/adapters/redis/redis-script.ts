import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script that Redis runs atomically: no other client's command runs in between, which is what
 * makes a compare-and-set or an "update the record and its indexes" safe across app instances.
 *
 * Sent as EVALSHA; when the server doesn't know the script yet (first call, or after a restart or
 * failover emptied its script cache) it answers NOSCRIPT and the script is sent once with EVAL.
 * This is what ioredis' `defineCommand` does, without adding untyped methods to a shared client.
 */
export class RedisScript {
  readonly #lua: string;
  readonly #sha: string;

  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return await redis.eval(this.#lua, keys.length, ...keys, ...args);
    }
  }
}
