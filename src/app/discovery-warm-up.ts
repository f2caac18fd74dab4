import { IssuerMismatch } from '../adapters/oidc/issuer-rule.ts';
import type { Logger } from './observability/logger.ts';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** The provider's discovery document as this needs it (src/adapters/oidc/provider-discovery.ts). */
export interface DiscoveryLoader {
  get(): Promise<unknown>;
  readonly loaded: boolean;
}

/**
 * Keeps trying to load the provider's discovery document until it is held, backing off to one try
 * every 30 s. Without it an instance started while the provider was unreachable would load it only
 * when a user signs in, and an idle instance would never become ready (/readyz).
 */
export class DiscoveryWarmUp {
  readonly #discovery: DiscoveryLoader;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: { providerDiscovery: DiscoveryLoader; logger: Logger }) {
    this.#discovery = deps.providerDiscovery;
    this.#logger = deps.logger;
  }

  start(): this {
    if (!this.#discovery.loaded) this.#schedule(FIRST_RETRY_MS);
    return this;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#attempt(delayMs), delayMs).unref();
  }

  async #attempt(delayMs: number): Promise<void> {
    try {
      await this.#discovery.get();
      this.#logger.info('provider discovery loaded');
    } catch (error) {
      // A wrong AUTHORITY stays wrong: said as an error, and the instance stays not ready.
      if (error instanceof IssuerMismatch) this.#logger.error({ err: error }, 'AUTHORITY does not fit its provider');
      // The message operators alert on (README, "Logs"), also for a document that came but cannot
      // be used (no issuer, an endpoint not https): `err` says which.
      else this.#logger.warn({ err: error, retryInMs: Math.min(delayMs * 2, MAX_RETRY_MS) }, 'provider discovery still not reachable');
      this.#schedule(Math.min(delayMs * 2, MAX_RETRY_MS));
    }
  }
}
