/** After a background refresh failed, how long before that account's next one may start. */
const RETRY_AFTER_MS = 30_000;
/** Failures remembered at most (one entry per account, oldest forgotten first). */
const MAX_FAILURES_REMEMBERED = 10_000;

/**
 * Which accounts may start a background refresh now: at most one at a time per account, and none
 * within RETRY_AFTER_MS of one that failed, so that while the provider cannot be reached each
 * account sends it at most one request per 30 s, not one per page load.
 */
export class BackgroundRefreshes {
  readonly #running = new Set<string>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #failedAt = new Map<string, number>();
  readonly #revoked = new Map<string, RevokedInBackground>();
  readonly #now: () => number;

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  /** Whether one may start for `accountId`; if so, it counts as running until `finished`. */
  tryStart(accountId: string): boolean {
    if (this.#running.has(accountId)) return false;
    const failedAt = this.#failedAt.get(accountId);
    if (failedAt !== undefined && this.#now() - failedAt < RETRY_AFTER_MS) return false;
    this.#failedAt.delete(accountId);
    this.#running.add(accountId);
    return true;
  }

  /** Keeps `refresh` until it settles, for `settled`. */
  track(refresh: Promise<unknown>): void {
    this.#inFlight.add(refresh);
    const forget = () => this.#inFlight.delete(refresh);
    refresh.then(forget, forget);
  }

  /**
   * Waits for the refreshes running now, at most `timeoutMs`: at shutdown, before the stores close.
   * A refresh cut off after the provider answered would lose the tokens it got, and with a provider
   * that rotates refresh tokens, the stored one is then already spent.
   */
  async settled(timeoutMs: number): Promise<void> {
    if (this.#inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.#inFlight]), deadline]);
    clearTimeout(timer);
  }

  /**
   * The provider refused an account's background refresh as revoked, the partition at `version`:
   * its requests are to hear so (revokedAt) rather than be served the token still held, whose
   * session the provider ended, until the partition changes (forgetRevoked).
   */
  noteRevoked(accountId: string, revoked: RevokedInBackground): void {
    if (this.#revoked.size >= MAX_FAILURES_REMEMBERED) this.#revoked.delete(this.#revoked.keys().next().value!);
    this.#revoked.set(accountId, revoked);
  }

  /** The revocation noted for `accountId` (noteRevoked), if any. */
  revokedAt(accountId: string): RevokedInBackground | undefined {
    return this.#revoked.size === 0 ? undefined : this.#revoked.get(accountId);
  }

  /** Forgets `revoked`, unless a newer one was noted for the account meanwhile. */
  forgetRevoked(accountId: string, revoked: RevokedInBackground): void {
    if (this.#revoked.get(accountId) === revoked) this.#revoked.delete(accountId);
  }

  finished(accountId: string, succeeded: boolean): void {
    this.#running.delete(accountId);
    if (succeeded) return;
    if (this.#failedAt.size >= MAX_FAILURES_REMEMBERED) this.#failedAt.delete(this.#failedAt.keys().next().value!);
    this.#failedAt.set(accountId, this.#now());
  }
}

/** A background refresh the provider refused as revoked: the version of the partition it sent the refresh token of, and the claims asked for. */
export interface RevokedInBackground {
  readonly version: string;
  readonly claims: string | undefined;
}
