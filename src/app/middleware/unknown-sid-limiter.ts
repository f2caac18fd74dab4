/** Front-channel requests whose `sid` matched no session that one client address may make per window. */
const MISSES_PER_WINDOW = 30;
const WINDOW_MS = 60_000;
/** Addresses tracked at most; beyond, the oldest are forgotten (memory stays bounded under a flood). */
const MAX_ADDRESSES = 10_000;
/** An IPv6 address with a zone is under 64 characters; a longer "address" came from a forged header. */
const MAX_ADDRESS_LENGTH = 64;

/**
 * Rate limit for the front-channel Logout URL, which must stay an unauthenticated GET: a client
 * that keeps sending `sid`s matching no session (guessing, or a flood) gets a 429 once it has
 * spent its budget. Only misses count and only misses are refused: a `sid` that ends a session is
 * always honoured, so users behind one shared NAT address are still signed out. A `sid` journaled
 * during a store outage counts as a miss (nobody could check it), and an address over its budget
 * may not journal: the journal is bounded, and strangers must not fill it.
 */
export class UnknownSidLimiter {
  readonly #now: () => number;
  readonly #misses = new Map<string, { windowStart: number; count: number }>();

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  /** Whether `address` has spent its budget in the current window (nothing is recorded). */
  exhausted(address: string): boolean {
    const entry = this.#misses.get(keyOf(address));
    return entry !== undefined && this.#now() - entry.windowStart < WINDOW_MS && entry.count >= MISSES_PER_WINDOW;
  }

  /** Records a miss from `address`; `false` when it is over its budget, with the seconds to wait. */
  recordMiss(address: string): { allowed: boolean; retryAfterSeconds: number } {
    address = keyOf(address);
    const now = this.#now();
    let entry = this.#misses.get(address);
    if (!entry || now - entry.windowStart >= WINDOW_MS) {
      this.#misses.delete(address);
      entry = { windowStart: now, count: 0 };
      this.#misses.set(address, entry);
      while (this.#misses.size > MAX_ADDRESSES) this.#misses.delete(this.#misses.keys().next().value!);
    }
    entry.count++;
    return { allowed: entry.count <= MISSES_PER_WINDOW, retryAfterSeconds: Math.ceil((entry.windowStart + WINDOW_MS - now) / 1000) };
  }
}

/** The address as the limiter keys it: bounded, so a forged header cannot make a key of any size. */
function keyOf(address: string): string {
  return address.slice(0, MAX_ADDRESS_LENGTH);
}
