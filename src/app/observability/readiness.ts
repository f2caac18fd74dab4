import type { Lifecycle } from '../lifecycle.ts';

/** How long a local store (SQLite, memory) may take to answer a readiness probe. */
const STORE_PROBE_TIMEOUT_MS = 2000;
/**
 * How long a shared store (Redis), which the answer does not depend on, is waited for: a frozen
 * Redis never answers, and waited out for its 2 s deadline every instance's `/readyz` outlasted a
 * probe's timeout at once (Kubernetes' default is 1 s), which takes them all out of the pool, as a
 * readiness failure would.
 */
const SHARED_STORE_PROBE_TIMEOUT_MS = 250;

export interface CheckResult {
  readonly status: 'ok' | 'failing';
  /** Whether a failure takes this instance out of the load balancer (503). */
  readonly required: boolean;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly body: {
    readonly status: 'ready' | 'not-ready' | 'shutting-down';
    readonly checks: Readonly<Record<'shutdown' | 'provider-discovery' | 'store', CheckResult>>;
    /** Sign-outs this instance accepted during a store outage and has not applied yet (Redis only). */
    readonly journaledSignOuts?: number;
  };
}

/**
 * What /readyz answers. Not ready (503) while shutting down, while the provider's discovery document
 * is not loaded (no sign-in, no logout-token check can work), or while a store local to this
 * instance (SQLite) does not answer.
 *
 * A shared store (Redis) that does not answer is reported but does not make the instance unready:
 * it fails on every instance at once, so a 503 would take all of them out of the load balancer,
 * and the provider's front- and back-channel sign-outs, which the instances journal during the
 * outage, would reach none of them (README, "Operating it").
 */
export class Readiness {
  readonly #lifecycle: Lifecycle;
  readonly #discovery: { readonly loaded: boolean };
  readonly #storeCheck: () => Promise<void>;
  readonly #sharedStore: boolean;
  readonly #journal: { pending(): readonly unknown[] } | undefined;

  constructor(deps: {
    lifecycle: Lifecycle;
    providerDiscovery: { readonly loaded: boolean };
    storeCheck: () => Promise<void>;
    sharedStore: boolean;
    signOutJournal: { pending(): readonly unknown[] } | undefined;
  }) {
    this.#lifecycle = deps.lifecycle;
    this.#discovery = deps.providerDiscovery;
    this.#storeCheck = deps.storeCheck;
    this.#sharedStore = deps.sharedStore;
    this.#journal = deps.signOutJournal;
  }

  async report(): Promise<ReadinessReport> {
    // The store's check waits (a Redis PING, up to 250 ms); the others are read after it, so that a
    // shutdown begun meanwhile makes this answer a 503 "shutting-down", not a 200 saying so.
    const store: CheckResult = { status: (await this.#storeAnswers()) ? 'ok' : 'failing', required: !this.#sharedStore };
    const shutdown: CheckResult = { status: this.#lifecycle.draining ? 'failing' : 'ok', required: true };
    const discovery: CheckResult = { status: this.#discovery.loaded ? 'ok' : 'failing', required: true };
    const checks = { shutdown, 'provider-discovery': discovery, store };
    const ready = Object.values(checks).every((check) => check.status === 'ok' || !check.required);
    const status = this.#lifecycle.draining ? 'shutting-down' : ready ? 'ready' : 'not-ready';
    const journaledSignOuts = this.#journal?.pending().length;
    return { ready, body: { status, checks, ...(journaledSignOuts === undefined ? {} : { journaledSignOuts }) } };
  }

  async #storeAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const waitMs = this.#sharedStore ? SHARED_STORE_PROBE_TIMEOUT_MS : STORE_PROBE_TIMEOUT_MS;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), waitMs)));
    try {
      await Promise.race([this.#storeCheck(), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
