import type { Redis } from 'ioredis';
import type { IndexedSession, SessionIndex, SessionStore } from '../../ports/session-store.port.ts';
import { DESTROY_SESSION, FIND_SESSIONS, SAVE_SESSION } from './redis-session-scripts.ts';
import { operationDeadlineMs } from './redis-connection.ts';
import { guarded } from './redis-store-error.ts';
import { TrackedCache, type InvalidationChannel } from './tracked-cache.ts';
import { storedSessionData } from '../stored-session-data.ts';

interface CachedSession {
  readonly data: string;
  readonly expiresAt: number;
}

/**
 * SessionStore on Redis, shared by every app instance, so a sign-out from the provider that reaches
 * any instance finds the sessions created on all of them (layout and scripts: redis-session-scripts.ts).
 *
 * Redis evicts a session hash by itself `ttlMs` after it was last saved. `expiresAt`, from the
 * injected clock, is checked as well, so expiry follows the port's clock to the millisecond.
 *
 * With an invalidation channel, `get` — every signed-in request — is answered from memory while
 * the channel is usable, and the copy is dropped when any instance saves or destroys the session
 * (or Redis expires it). That saved a Redis round trip per request (25–50 µs of the app's CPU).
 * The JSON is kept and parsed per request, so no request can change another's copy.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #now: () => number;
  readonly #deadlineMs: number;
  readonly #sessions: TrackedCache<CachedSession> | undefined;

  constructor(deps: {
    redis: Redis;
    keyPrefix: string;
    now?: () => number;
    /** Sessions kept in memory, dropped on invalidation; none without it. */
    invalidations?: { channel: InvalidationChannel; maxEntries: number };
  }) {
    this.#redis = deps.redis;
    this.#keyPrefix = deps.keyPrefix;
    this.#now = deps.now ?? Date.now;
    this.#deadlineMs = operationDeadlineMs(deps.redis);
    this.#sessions = deps.invalidations && new TrackedCache(deps.invalidations);
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const key = this.#key(id);
    const sessions = this.#sessions;
    const found = sessions ? (sessions.get(key) ?? (await sessions.load(key, () => this.#read(key)))) : await this.#read(key);
    if (!found || found.expiresAt <= this.#now()) return undefined;
    return storedSessionData(found.data);
  }

  async #read(key: string): Promise<CachedSession | undefined> {
    const [data, expiresAt] = await guarded(this.#deadlineMs, () => this.#redis.hmget(key, 'data', 'expiresAt'));
    return data == null || expiresAt == null ? undefined : { data, expiresAt: Number(expiresAt) };
  }

  /** Whether this instance holds the session in memory (what the tests inspect). */
  holds(id: string): boolean {
    return this.#sessions?.has(this.#key(id)) ?? false;
  }

  /** How many sessions this instance holds in memory. */
  get cached(): number {
    return this.#sessions?.size ?? 0;
  }

  async set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void> {
    await this.#save(id, data, index, ttlMs, false);
  }

  async update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean> {
    return this.#save(id, data, index, ttlMs, true);
  }

  async destroy(id: string): Promise<boolean> {
    const args = [this.#keyPrefix, id, this.#now()];
    return (await this.#changing(id, (key) => guarded(this.#deadlineMs, () => DESTROY_SESSION.run(this.#redis, [key], args)))) === 1;
  }

  async findBySid(sid: string): Promise<IndexedSession[]> {
    return this.#find('sid', sid);
  }

  async findBySubject(subject: string): Promise<IndexedSession[]> {
    return this.#find('subject', subject);
  }

  async findByAccount(accountId: string): Promise<IndexedSession[]> {
    return this.#find('accountId', accountId);
  }

  async #save(
    id: string,
    data: Record<string, unknown>,
    index: SessionIndex,
    ttlMs: number,
    onlyIfLive: boolean,
  ): Promise<boolean> {
    const now = this.#now();
    // PEXPIRE takes whole milliseconds; JSON.stringify drops undefined index fields.
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const { sid, subject, accountId, signedInAt } = index;
    const args = [
      this.#keyPrefix,
      id,
      JSON.stringify(data),
      // The time as text: Lua's numbers would go through a C long to be written back as digits.
      JSON.stringify({ sid, subject, accountId, signedInAt: signedInAt === undefined ? undefined : String(signedInAt) }),
      now + ttlMs,
      ttl,
      now,
      onlyIfLive ? '1' : '0',
    ];
    const saved = await this.#changing(id, (key) => guarded(this.#deadlineMs, () => SAVE_SESSION.run(this.#redis, [key], args)));
    return saved === 1;
  }

  /** A change made here: the copy in memory goes before (and, for reads racing it, after) the change. */
  async #changing<T>(id: string, change: (key: string) => Promise<T>): Promise<T> {
    const key = this.#key(id);
    this.#sessions?.evict(key);
    try {
      return await change(key);
    } finally {
      this.#sessions?.evict(key);
    }
  }

  async #find(field: 'sid' | 'subject' | 'accountId', value: string): Promise<IndexedSession[]> {
    const key = `${this.#keyPrefix}${field}:${value}`;
    const args = [this.#keyPrefix, this.#now(), field, value];
    // Lua's nil inside a table truncates it: absent fields come back as null (Redis' false).
    type Row = [string, string | null, string | null, string | null];
    const rows = (await guarded(this.#deadlineMs, () => FIND_SESSIONS.run(this.#redis, [key], args))) as Row[];
    return rows.map(([id, subject, accountId, signedInAt]) => ({
      id,
      ...(subject != null && { subject }),
      ...(accountId != null && { accountId }),
      ...(signedInAt != null && { signedInAt: Number(signedInAt) }),
    }));
  }

  #key(id: string): string {
    return `${this.#keyPrefix}session:${id}`;
  }
}
