import type { SignOutEverywhere } from '../domain/sign-out-everywhere.ts';
import type { SignOutJournal } from '../ports/sign-out-journal.port.ts';
import { outsideRequest } from './observability/request-context.ts';
import type { Logger } from './observability/logger.ts';
import type { SignOutAudit } from './sign-out-audit.ts';

/** How often an instance with journaled sign-outs tries the store again. */
const RETRY_EVERY_MS = 1000;

/** How often, while the store stays down, the warning that sign-outs wait for it is repeated. */
const WARN_EVERY_MS = 60_000;

/**
 * Applies the sign-outs journaled during a store outage as soon as the store answers again: on a
 * timer (so an idle instance catches up too), and before any request is served (`beforeRequest`).
 * One attempt at a time.
 */
export class SignOutJournalReplayer {
  readonly #journal: SignOutJournal | undefined;
  readonly #signOutEverywhere: SignOutEverywhere;
  readonly #audit: Pick<SignOutAudit, 'record'>;
  readonly #logger: Logger;
  #attempt: Promise<void> | undefined;
  /** Settles once the attempt under way has removed what its entries name (before their revocations). */
  #attemptLocallyDone: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /** The last attempt failed (the store is still down), and none has succeeded since. */
  #storeDown = false;
  #warnedAt = -Infinity;

  constructor(deps: {
    signOutJournal: SignOutJournal | undefined;
    signOutEverywhere: SignOutEverywhere;
    signOutAudit: Pick<SignOutAudit, 'record'>;
    logger: Logger;
  }) {
    this.#journal = deps.signOutJournal;
    this.#signOutEverywhere = deps.signOutEverywhere;
    this.#audit = deps.signOutAudit;
    this.#logger = deps.logger;
  }

  get pending(): number {
    return this.#journal?.pending().length ?? 0;
  }

  /** Applies what is pending; never rejects (a store still down is logged, and tried again later). */
  replay(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    if (this.#attempt) return this.#attempt;
    let locallyDone!: () => void;
    this.#attemptLocallyDone = new Promise((resolve) => (locallyDone = resolve));
    // Outside any request: the request that happens to come first after the store is back triggers
    // it (beforeRequest), but the sign-outs are not its doing, and their audit events and log lines
    // must not carry its id.
    this.#attempt = outsideRequest(() =>
      this.#signOutEverywhere
        // Each applied entry is a sign-out of its own: its audit event, with `journaled: true`,
        // written as it is applied, so that a failure further on loses none.
        .applyJournal((result) => this.#audit.record(result), locallyDone)
        .then(
          (applied) => {
            this.#storeDown = false;
            this.#logger.info({ applied, pending: this.pending }, 'journaled sign-outs applied');
          },
          (error: unknown) => {
            const now = Date.now();
            // An attempt fails every second or two for as long as the outage lasts: the alert
            // line comes at once, then once a minute, not with every attempt.
            if (!this.#storeDown || now - this.#warnedAt >= WARN_EVERY_MS) {
              this.#warnedAt = now;
              this.#logger.warn({ pending: this.pending, err: error }, 'journaled sign-outs still waiting for the store');
            }
            // Nothing left waiting (the attempt failed after its last entry was applied, say while
            // rewriting the journal's file): the next entry's first attempt is waited for again.
            this.#storeDown = this.pending > 0;
          },
        )
        .finally(() => {
          locallyDone();
          this.#attempt = undefined;
        }),
    );
    return this.#attempt;
  }

  /**
   * Before a request is served: applies what is pending first, up to the removals (the refresh
   * tokens' revocations, up to 2 s, go on behind the request). While the store is still down (the
   * last attempt failed) requests do not wait for the timer's next attempt, which would only fail
   * at its deadline before each request met its own (a 503 took up to 4 s, and a page that needs no
   * store waited for nothing); the session middleware refuses any session a pending entry names
   * meanwhile, and an entry never ends a session signed in after it came (sign-out-scope.ts).
   */
  async beforeRequest(): Promise<void> {
    if (this.#storeDown) return;
    if (this.#attempt) return this.#attemptLocallyDone;
    if (this.pending > 0) {
      void this.replay();
      await this.#attemptLocallyDone;
    }
  }

  start(): this {
    if (this.#journal && !this.#timer) this.#timer = setInterval(() => void this.replay(), RETRY_EVERY_MS).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
