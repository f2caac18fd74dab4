import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import {
  REVOCATION_OUTCOMES,
  SIGN_OUT_CHANNELS,
  SIGN_OUT_OUTCOMES,
  type RevocationOutcome,
  type SignOutChannel,
  type SignOutOutcome,
} from '../../domain/sign-out-names.ts';

export type { SignOutChannel, SignOutOutcome } from '../../domain/sign-out-names.ts';
export const SILENT_TOKEN_OUTCOMES = ['memory-hit', 'store-hit', 'refreshed', 'interaction-required'] as const;
export type SilentTokenOutcome = (typeof SILENT_TOKEN_OUTCOMES)[number];
/** The rules a refused logout token is counted by (provider-jwt.ts TokenRule, as a logout token meets them) and `missing`. */
const LOGOUT_TOKEN_REFUSAL_REASONS = ['signature', 'algorithm', 'iss', 'tid', 'aud', 'azp', 'exp', 'iat', 'nbf', 'typ', 'events', 'nonce', 'jti', 'sid-or-sub', 'malformed', 'replayed', 'missing'];

/**
 * From ~10 µs (SQLite, parsed-partition version check) to Redis' 2 s operation deadline: the
 * buckets must tell a healthy store (sub-millisecond) from one that is about to time out.
 */
const STORE_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

/** A store operation's series, resolved once so the request path does no label hashing. */
export interface StoreOperationSeries {
  readonly duration: { observe(seconds: number): void };
  readonly errors: { inc(): void };
}

/**
 * Everything the app counts, in its own registry (several apps in one test process must not share
 * one). Served by metrics-server.ts on METRICS_PORT only.
 */
export class AppMetrics {
  readonly registry = new Registry();
  #processMetricsOn = false;

  readonly #signOuts = new Counter({
    name: 'app_sign_outs_total',
    help: 'Sign-outs by channel (app, front-channel, back-channel, sessions-page, operator, cae-revocation) and outcome (removed, nothing-held, journaled, failed).',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #partitionsRemoved = new Counter({
    name: 'app_token_partitions_removed_total',
    help: "Token partitions (one account's cached tokens) that were held and removed.",
    registers: [this.registry],
  });
  readonly #silentTokens = new Counter({
    name: 'app_silent_token_acquisitions_total',
    help: 'Silent token acquisitions by outcome: memory-hit (parsed partition kept in memory), store-hit, refreshed, interaction-required.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #storeDuration = new Histogram({
    name: 'app_store_operation_duration_seconds',
    help: 'Duration of token store, session store and replay guard operations, failures included.',
    labelNames: ['store', 'backend', 'operation'] as const,
    buckets: STORE_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly #storeErrors = new Counter({
    name: 'app_store_errors_total',
    help: 'Store operations that failed (store unavailable, timed out, refused).',
    labelNames: ['store', 'backend', 'operation'] as const,
    registers: [this.registry],
  });
  readonly #logoutTokensRefused = new Counter({
    name: 'app_logout_tokens_refused_total',
    help: 'Back-channel logout tokens refused, by the rule they failed (signature, iss, aud, exp, replayed, missing, ...).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly #revocations = new Counter({
    name: 'app_refresh_token_revocations_total',
    help: 'Refresh tokens of removed partitions, by what the provider did (RFC 7009): revoked, failed, unsupported (no revocation_endpoint), not-attempted (none held).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #silentTokenSeries = new Map(SILENT_TOKEN_OUTCOMES.map((outcome) => [outcome, this.#silentTokens.labels(outcome)]));

  constructor() {
    // Every channel and outcome exists from the start at 0, so a rate() over a first sign-out works.
    for (const channel of SIGN_OUT_CHANNELS) for (const outcome of SIGN_OUT_OUTCOMES) this.#signOuts.inc({ channel, outcome }, 0);
    for (const series of this.#silentTokenSeries.values()) series.inc(0);
    this.#partitionsRemoved.inc(0);
    for (const outcome of REVOCATION_OUTCOMES) this.#revocations.inc({ outcome }, 0);
    // The counters the README names as alert signals too: absent until their first increment, an
    // increase() over a series missed its first burst.
    for (const reason of LOGOUT_TOKEN_REFUSAL_REASONS) this.#logoutTokensRefused.inc({ reason }, 0);
  }

  refreshTokenRevocation(outcome: RevocationOutcome): void {
    this.#revocations.inc({ outcome });
  }

  signOut(channel: SignOutChannel, outcome: SignOutOutcome): void {
    this.#signOuts.inc({ channel, outcome });
  }

  partitionRemoved(): void {
    this.#partitionsRemoved.inc();
  }

  silentToken(outcome: SilentTokenOutcome): void {
    this.#silentTokenSeries.get(outcome)!.inc();
  }

  logoutTokenRefused(reason: string): void {
    this.#logoutTokensRefused.inc({ reason });
  }

  /** The series of one store operation; its error count exists from then on, at 0. */
  storeOperation(store: string, backend: string, operation: string): StoreOperationSeries {
    const errors = this.#storeErrors.labels(store, backend, operation);
    errors.inc(0);
    return { duration: this.#storeDuration.labels(store, backend, operation), errors };
  }

  /**
   * Node's process metrics (CPU, memory, event loop lag, GC, handles), only once something serves
   * them: they start an event-loop monitor and a GC observer that a test app has no use for.
   */
  collectProcessMetrics(): void {
    if (this.#processMetricsOn) return;
    this.#processMetricsOn = true;
    collectDefaultMetrics({ register: this.registry });
  }
}
