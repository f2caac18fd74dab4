import { IdentityProviderUnavailable, TokenRefreshFailed } from '../../domain/errors.ts';

/**
 * Serializes the refreshes of one account across the app processes sharing a store (the Redis and
 * SQLite adapters give one); without it (memory: one process) the in-process gate is all there is.
 */
export interface RefreshLock {
  /** Takes the account's lock for `ttlMs`: the lock held, or `undefined` while another holder has it. */
  tryAcquire(accountId: string, ttlMs: number): Promise<HeldRefreshLock | undefined>;
}

/** An account's refresh lock, as its holder has it. */
export interface HeldRefreshLock {
  /** Makes the lock last `ttlMs` from now; resolves to false if it is no longer this holder's (it expired, and may have been taken). */
  extend(ttlMs: number): Promise<boolean>;
  /** Ends the lock, if it is still this holder's. */
  release(): Promise<void>;
}

const POLL_MS = 50;

/** How many times in a lock's lifetime its holder makes it last a lifetime from then. */
const EXTENSIONS_PER_LIFETIME = 3;

/**
 * The most lifetimes a holder keeps its lock for by extending it: a refresh's calls (the store's
 * read, discovery, keys, the token request, keys again, the write-back, a revocation), each at
 * most a lifetime, take at most about four.
 */
const MAX_LIFETIMES_HELD = 4;

/**
 * How long an account's refresh lock lives unless its holder extends it: what a holder that
 * crashed keeps the account's refresh waiting, and how long another instance's request waits for
 * it. One network call and a store call fit in it (`httpTimeoutMs` and 5 s more: a Redis call's
 * deadline is 2 s, redis-store-error.ts); a refresh can make more (the provider's discovery and
 * keys, the token request, the keys again for a new key id, the write-back and a revocation), so
 * the gate extends the lock while the refresh runs rather than size it for the sum of them all.
 */
export function refreshLockTtlMs(httpTimeoutMs: number): number {
  return httpTimeoutMs + 5000;
}

/**
 * One refresh per account at a time. Near expiry, every concurrent request of a user would redeem
 * the same refresh token; a provider that rotates refresh tokens and detects reuse (Auth0, Okta,
 * Keycloak, oidc-provider's `rotateRefreshToken`) takes the second use for theft and revokes the
 * whole token family, signing the user out. So requests of one account queue here (and, with a
 * `RefreshLock`, across instances), and each one that waited, and each one that holds the lock,
 * first asks `cached` whether a refresh (the one it waited for, another instance's) already gave
 * what it needs.
 */
export class RefreshGate {
  readonly #lock: RefreshLock | undefined;
  readonly #lockTtlMs: number;
  readonly #now: () => number;
  readonly #queues = new Map<string, Promise<unknown>>();

  /**
   * `lockTtlMs`: the lock's lifetime unless its holder extends it (refreshLockTtlMs); a crashed
   * holder's lock ends then. A request waits for another instance's refresh that long at most.
   */
  constructor(deps: { lock?: RefreshLock; lockTtlMs: number; now?: () => number }) {
    this.#lock = deps.lock;
    this.#lockTtlMs = deps.lockTtlMs;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * A request that waited for a refresh which failed because the provider could not be reached, or
   * was reached but failed (`IdentityProviderUnavailable`, `TokenRefreshFailed`), fails with it,
   * unless `cached` has what it needs: refreshing in its turn, each of a user's N concurrent pages
   * would wait out the provider's timeout after the one before, the last after N of them. Other
   * failures (the refresh token refused) let it try its own.
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
      const held = await this.#lock.tryAcquire(accountId, this.#lockTtlMs);
      if (held) {
        const extending = keepExtended(held, this.#lockTtlMs);
        try {
          // Looked at once more with the lock held, waited or not: the caller found no usable token
          // before another instance's refresh was stored (or before this instance heard of it), and
          // that instance released the lock a moment before this one took it.
          const hit = await cached();
          if (hit !== undefined) return hit;
          return await refresh();
        } finally {
          clearInterval(extending);
          await held.release().catch(() => {}); // the lock expires by itself
        }
      }
      // Another instance is refreshing: wait for its result rather than redeem the token twice.
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const hit = await cached();
      if (hit !== undefined) return hit;
      // Never a refresh without the lock: a holder that vanished leaves a lock that expires within
      // `lockTtlMs`, and is taken above. Still held past that, its holder is extending it (a slow
      // refresh) or another instance took it in turn (the first holder's refresh failed): this
      // request gives up (a 503) rather than redeem the same refresh token beside it, which a
      // provider that rotates them takes for theft.
      // The holder's lock ends `lockTtlMs` after it was taken, a moment before this deadline: the
      // loop takes it over above, so the deadline gives two polls more than the lock's lifetime.
      if (this.#now() > deadline + 2 * POLL_MS) throw new IdentityProviderUnavailable('another instance is still refreshing this account');
    }
  }
}

/**
 * Extends a held lock while its refresh runs: a refresh slower than one lifetime (slow answers from
 * the provider's discovery, keys and token endpoint, each within its own deadline) must not let
 * another instance take the lock and redeem the same refresh token. A holder that crashed stops
 * extending, and its lock ends a lifetime later. An extension that fails (the store is down) is
 * not retried here: the next one comes a third of a lifetime later, before the lock ends. Not past
 * MAX_LIFETIMES_HELD: every call a refresh makes has a deadline, and all of them together fit in
 * that many lifetimes, so a refresh still running then is stuck, and must not keep the account's
 * refreshes from every other instance until this one restarts.
 */
function keepExtended(held: HeldRefreshLock, ttlMs: number): NodeJS.Timeout {
  let extensions = 0;
  const timer = setInterval(() => {
    if (++extensions >= MAX_LIFETIMES_HELD * EXTENSIONS_PER_LIFETIME) clearInterval(timer);
    void held.extend(ttlMs).catch(() => {});
  }, ttlMs / EXTENSIONS_PER_LIFETIME);
  timer.unref();
  return timer;
}

async function afterUnavailable<T>(failure: IdentityProviderUnavailable, cached: () => Promise<T | undefined>): Promise<T> {
  const hit = await cached();
  if (hit !== undefined) return hit;
  // The same answer as the request whose refresh it waited for: "could not renew" where the provider
  // answered, "not reachable" where it did not.
  if (failure instanceof TokenRefreshFailed) throw new TokenRefreshFailed('the refresh this request waited for failed at the provider', { cause: failure });
  throw new IdentityProviderUnavailable('the refresh this request waited for could not reach the provider', { cause: failure });
}
