import type { Redis } from 'ioredis';
import type { IndexedSession, SessionIndex, SessionStore } from '../../ports/session-store.port.ts';
import { DESTROY_SESSION, FIND_SESSIONS, SAVE_SESSION } from './redis-session-scripts.ts';
import { operationDeadlineMs } from './redis-connection.ts';
import { guarded } from './redis-store-error.ts';

/**
 * SessionStore on Redis, shared by every app instance, so a sign-out from the provider that reaches
 * any instance finds the sessions created on all of them (layout and scripts: redis-session-scripts.ts).
 *
 * Redis evicts a session hash by itself `ttlMs` after it was last saved. `expiresAt`, from the
 * injected clock, is checked as well, so expiry follows the port's clock to the millisecond.
 */
export class RedisSessionStore implements SessionStore {
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

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const [data, expiresAt] = await guarded(this.#deadlineMs, () => this.#redis.hmget(this.#key(id), 'data', 'expiresAt'));
    if (data == null || expiresAt == null || Number(expiresAt) <= this.#now()) return undefined;
    return JSON.parse(data) as Record<string, unknown>;
  }

  async set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void> {
    await this.#save(id, data, index, ttlMs, false);
  }

  async update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean> {
    return this.#save(id, data, index, ttlMs, true);
  }

  async destroy(id: string): Promise<void> {
    await guarded(this.#deadlineMs, () => DESTROY_SESSION.run(this.#redis, [this.#key(id)], [this.#keyPrefix, id]));
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
    const { sid, subject, accountId } = index;
    const args = [
      this.#keyPrefix,
      id,
      JSON.stringify(data),
      JSON.stringify({ sid, subject, accountId }),
      now + ttlMs,
      ttl,
      now,
      onlyIfLive ? '1' : '0',
    ];
    const saved = await guarded(this.#deadlineMs, () => SAVE_SESSION.run(this.#redis, [this.#key(id)], args));
    return saved === 1;
  }

  async #find(field: 'sid' | 'subject' | 'accountId', value: string): Promise<IndexedSession[]> {
    const key = `${this.#keyPrefix}${field}:${value}`;
    const args = [this.#keyPrefix, this.#now(), field, value];
    // Lua's nil inside a table truncates it: absent fields come back as null (Redis' false).
    type Row = [string, string | null, string | null];
    const rows = (await guarded(this.#deadlineMs, () => FIND_SESSIONS.run(this.#redis, [key], args))) as Row[];
    return rows.map(([id, subject, accountId]) => ({ id, ...(subject != null && { subject }), ...(accountId != null && { accountId }) }));
  }

  #key(id: string): string {
    return `${this.#keyPrefix}session:${id}`;
  }
}
