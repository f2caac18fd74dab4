/** Front-channel requests whose `sid` matched no session that one client address may make per window. */
const MISSES_PER_WINDOW = 30;
const WINDOW_MS = 60_000;
/** Addresses tracked at most; beyond, the oldest are forgotten (memory stays bounded under a flood). */
const MAX_ADDRESSES = 10_000;

/**
 * Rate limit for the front-channel Logout URL, which must stay an unauthenticated GET: a client
 * that keeps sending `sid`s matching no session (guessing, or a flood) gets a 429 once it has
 * spent its budget. Only misses count and only misses are refused: a `sid` that ends a session is
 * always honoured, so users behind one shared NAT address are still signed out.
 */
export class UnknownSidLimiter {
  readonly #now: () => number;
  readonly #misses = new Map<string, { windowStart: number; count: number }>();

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  /** Records a miss from `address`; `false` when it is over its budget, with the seconds to wait. */
  recordMiss(address: string): { allowed: boolean; retryAfterSeconds: number } {
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
