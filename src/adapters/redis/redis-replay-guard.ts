import type { Redis } from 'ioredis';
import type { ReplayGuard } from '../../ports/replay-guard.port.ts';
import { RedisScript } from './redis-script.ts';
import { operationDeadlineMs } from './redis-connection.ts';
import { guarded } from './redis-store-error.ts';

/**
 * Claims an id unless it is held until later than now. KEYS[1] the id's key; ARGV: expiresAt, now, ttlMs.
 * The value is the claim's expiresAt so the port's clock decides when an id may be used again; the
 * PX only lets Redis forget it. One script, so of two instances claiming the same id one wins.
 */
const CLAIM = new RedisScript(`
local heldUntil = redis.call('GET', KEYS[1])
if heldUntil and tonumber(heldUntil) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`);

/** ReplayGuard on Redis (`<prefix>used:<id>`), shared by every app instance. */
export class RedisReplayGuard implements ReplayGuard {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #now: () => number;
  readonly #deadlineMs: number;

  constructor(deps: { redis: Redis; keyPrefix: string; now?: () => number }) {
    this.#redis = deps.redis;
    this.#keyPrefix = deps.keyPrefix;
    this.#now = deps.now ?? Date.now;
    this.#deadlineMs = operationDeadlineMs(deps.redis);
  }

  async isClaimed(id: string): Promise<boolean> {
    const heldUntil = await guarded(this.#deadlineMs, () => this.#redis.get(`${this.#keyPrefix}used:${id}`));
    return heldUntil !== null && Number(heldUntil) > this.#now();
  }

  async claim(id: string, expiresAt: number): Promise<boolean> {
    const now = this.#now();
    // PX must be a positive integer; an id claimed already expired is still remembered for 1 ms.
    const ttlMs = Math.max(1, Math.ceil(expiresAt - now));
    const key = `${this.#keyPrefix}used:${id}`;
    const claimed = await guarded(this.#deadlineMs, () => CLAIM.run(this.#redis, [key], [expiresAt, now, ttlMs]));
    return claimed === 1;
  }
}
