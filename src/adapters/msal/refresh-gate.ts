import { IdentityProviderUnavailable } from '../../domain/errors.ts';

/**
 * Serializes the refreshes of one account across the app processes sharing a store (the Redis and
 * SQLite adapters give one); without it (memory: one process) the in-process gate is all there is.
 */
export interface RefreshLock {
  /** Takes the account's lock for `ttlMs`: its release, or `undefined` while another holder has it. */
  tryAcquire(accountId: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

const POLL_MS = 50;

/**
 * How long an account's refresh lock lives: all one refresh does under it, with room to spare. The
 * holder reads the partition, asks the provider (at most `httpTimeoutMs`) and writes the partition
 * back; each store call has its own deadline (2 s for Redis, redis-store-error.ts), so 5 s on top of
 * the HTTP timeout. Too short, and a slow store lets the lock expire mid-refresh and a second
 * instance redeem the same refresh token.
 */
export function refreshLockTtlMs(httpTimeoutMs: number): number {
  return httpTimeoutMs + 5000;
}

/**
 * One refresh per account at a time. Near expiry, every concurrent request of a user would redeem
 * the same refresh token; a provider that rotates refresh tokens and detects reuse (Auth0, Okta,
 * Keycloak, oidc-provider's `rotateRefreshToken`) takes the second use for theft and revokes the
 * whole token family, signing the user out. So requests of one account queue here (and, with a
 * `RefreshLock`, across instances), and each one that waited first asks `cached` whether the
 * refresh it waited for already gave what it needs.
 */
export class RefreshGate {
  readonly #lock: RefreshLock | undefined;
  readonly #lockTtlMs: number;
  readonly #now: () => number;
  readonly #queues = new Map<string, Promise<unknown>>();

  /**
   * `lockTtlMs`: longer than one refresh can take under the lock (refreshLockTtlMs); a crashed
   * holder's lock ends then. A request waits for another instance's refresh that long at most.
   */
  constructor(deps: { lock?: RefreshLock; lockTtlMs: number; now?: () => number }) {
    this.#lock = deps.lock;
    this.#lockTtlMs = deps.lockTtlMs;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * A request that waited for a refresh which failed because the provider could not be reached
   * (`IdentityProviderUnavailable`) fails with it, unless `cached` has what it needs: refreshing in
   * its turn, each of a user's N concurrent pages would wait out the provider's timeout after the
   * one before, the last after N of them. Other failures (the refresh token refused) let it try its own.
   */
  run<T>(accountId: string, cached: () => Promise<T | undefined>, refresh: () => Promise<T>): Promise<T> {
    const ahead = this.#queues.get(accountId);
    const mine = (ahead ?? Promise.resolve()).then(
      () => this.#exclusive(accountId, ahead !== undefined, cached, refresh),
      (failure: unknown) => (failure instanceof IdentityProviderUnavailable ? afterUnavailable(failure, cached) : this.#exclusive(accountId, true, cached, refresh)),
    );
    this.#queues.set(accountId, mine);
    const leave = () => {
      if (this.#queues.get(accountId) === mine) this.#queues.delete(accountId);
    };
    mine.then(leave, leave);
    return mine;
  }

  async #exclusive<T>(accountId: string, waited: boolean, cached: () => Promise<T | undefined>, refresh: () => Promise<T>): Promise<T> {
    if (waited) {
      const hit = await cached();
      if (hit !== undefined) return hit;
    }
    if (!this.#lock) return refresh();
    const deadline = this.#now() + this.#lockTtlMs;
    for (;;) {
      const release = await this.#lock.tryAcquire(accountId, this.#lockTtlMs);
      if (release) {
        try {
          return await refresh();
        } finally {
          await release().catch(() => {}); // the lock expires by itself
        }
      }
      // Another instance is refreshing: wait for its result rather than redeem the token twice.
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const hit = await cached();
      if (hit !== undefined) return hit;
      // Never a refresh without the lock: a holder that vanished leaves a lock that expires within
      // `lockTtlMs`, and is taken above. Still held past that, another instance took it in turn
      // (the first holder's refresh failed): this request gives up rather than redeem the same
      // refresh token beside it, which a provider that rotates them takes for theft.
      // The holder's lock ends `lockTtlMs` after it was taken, a moment before this deadline: the
      // loop takes it over above, so the deadline gives two polls more than the lock's lifetime.
      if (this.#now() > deadline + 2 * POLL_MS) throw new IdentityProviderUnavailable('another instance is still refreshing this account');
    }
  }
}

async function afterUnavailable<T>(failure: IdentityProviderUnavailable, cached: () => Promise<T | undefined>): Promise<T> {
  const hit = await cached();
  if (hit !== undefined) return hit;
  throw new IdentityProviderUnavailable('the refresh this request waited for could not reach the provider', { cause: failure });
}
