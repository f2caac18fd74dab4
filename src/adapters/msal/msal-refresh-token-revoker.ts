import type { Logger } from 'pino';
import type { RevocationOutcome } from '../../domain/sign-out-names.ts';
import type { RefreshTokenRevoker } from '../../ports/refresh-token-revoker.port.ts';
import { refreshTokenSecrets } from './partition-secrets.ts';

/** The longest a sign-out waits for the provider to revoke a refresh token. */
export const REVOCATION_TIMEOUT_MS = 2000;

/** The provider's discovery document, as far as revocation reads it (src/adapters/oidc/provider-discovery.ts gives it). */
export interface RevocationDocuments {
  configuration(): Promise<{ readonly revocation_endpoint?: string; readonly [key: string]: unknown }>;
}


/**
 * RefreshTokenRevoker for partitions in MSAL's cache format: RFC 7009 at the provider's advertised
 * `revocation_endpoint`, with `token_type_hint=refresh_token` and the client authenticated as MSAL
 * authenticates it at the token endpoint with a client secret: `client_id` and `client_secret` in
 * the form body (client_secret_post). Microsoft Entra ID advertises no revocation endpoint, so
 * there the outcome is `unsupported`.
 *
 * Discovery and every POST share one deadline of at most 2 s; whatever is not done by then is
 * `failed`. Nothing is retried: RFC 7009 revocation is idempotent, but the sign-out is already done.
 */
export class MsalRefreshTokenRevoker implements RefreshTokenRevoker {
  readonly #clientId: string;
  readonly #clientSecret: string;
  readonly #providerDocuments: RevocationDocuments;
  readonly #logger: Logger;
  readonly #timeoutMs: number;

  constructor(deps: {
    clientId: string;
    clientSecret: string;
    providerDocuments: RevocationDocuments;
    logger: Logger;
    /** Capped at REVOCATION_TIMEOUT_MS. */
    timeoutMs?: number;
  }) {
    this.#clientId = deps.clientId;
    this.#clientSecret = deps.clientSecret;
    this.#providerDocuments = deps.providerDocuments;
    this.#logger = deps.logger;
    this.#timeoutMs = Math.min(deps.timeoutMs ?? REVOCATION_TIMEOUT_MS, REVOCATION_TIMEOUT_MS);
  }

  async revoke(partitionData: string): Promise<RevocationOutcome> {
    const tokens = refreshTokenSecrets(partitionData, this.#clientId);
    if (tokens.length === 0) return 'not-attempted';
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    try {
      const { revocation_endpoint: endpoint } = await beforeDeadline(this.#providerDocuments.configuration(), deadline);
      if (typeof endpoint !== 'string' || endpoint === '') return 'unsupported';
      await Promise.all(tokens.map((token) => this.#post(endpoint, token, deadline)));
      return 'revoked';
    } catch (error) {
      this.#logger.warn({ reason: describe(error, this.#timeoutMs) }, 'refresh token revocation failed');
      return 'failed';
    }
  }

  async #post(endpoint: string, token: string, deadline: AbortSignal): Promise<void> {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: this.#clientId, client_secret: this.#clientSecret }),
      signal: deadline,
    });
    if (response.status === 200) {
      await response.body?.cancel();
      return;
    }
    // The error code only (RFC 6749 §5.2), e.g. invalid_client: never the request, which holds the token.
    const code = await response.json().then((body: { error?: unknown }) => String(body?.error ?? ''), () => '');
    throw new Error(`${new URL(endpoint).origin} answered ${response.status}${code ? ` ${code}` : ''}`);
  }
}

/** `promise`, or a rejection once `deadline` aborts (discovery has its own, longer timeout). */
function beforeDeadline<T>(promise: Promise<T>, deadline: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(deadline.reason);
    if (deadline.aborted) return abort();
    deadline.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => deadline.removeEventListener('abort', abort));
  });
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return error instanceof Error ? `${error.message}${cause}` : String(error);
}
