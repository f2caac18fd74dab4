import type { Logger } from 'pino';
import type { RevocationOutcome } from '../../domain/sign-out-names.ts';
import type { RefreshTokenRevoker } from '../../ports/refresh-token-revoker.port.ts';
import { boundedResponseText } from '../bounded-response-text.ts';
import { refreshTokenSecrets } from './partition-secrets.ts';

/** The most of a refused revocation's answer read for its error code. */
const MAX_ERROR_ANSWER_BYTES = 4096;

/** The longest a sign-out waits for the provider to revoke a refresh token. */
export const REVOCATION_TIMEOUT_MS = 2000;

/** The provider's discovery document, as far as revocation reads it (src/adapters/oidc/provider-discovery.ts gives it). */
export interface RevocationDocuments {
  /** The provider's discovery document (its `revocation_endpoint`, if any); rejects while it cannot be had. */
  configuration(): Promise<{
    readonly revocation_endpoint?: string;
    readonly revocation_endpoint_auth_methods_supported?: unknown;
    readonly [key: string]: unknown;
  }>;
}

/** How the client proves itself to the revocation endpoint (RFC 6749 §2.3.1): the two ways a client secret can. */
type SecretAuthMethod = 'client_secret_post' | 'client_secret_basic';

/**
 * RefreshTokenRevoker for partitions in MSAL's cache format: RFC 7009 at the provider's advertised
 * `revocation_endpoint`, with `token_type_hint=refresh_token`. The client authenticates as MSAL
 * authenticates it at the token endpoint with a client secret, `client_id` and `client_secret` in
 * the form body (client_secret_post), unless the provider's `revocation_endpoint_auth_methods_supported`
 * leaves that out and lists client_secret_basic: then with HTTP Basic. A list with neither is a
 * `failed` revocation, logged with what the endpoint takes. Microsoft Entra ID advertises no
 * revocation endpoint, so there the outcome is `unsupported`.
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
      const configuration = await beforeDeadline(this.#providerDocuments.configuration(), deadline);
      const endpoint = configuration.revocation_endpoint;
      if (endpoint === undefined) return 'unsupported';
      const method = secretAuthMethod(configuration.revocation_endpoint_auth_methods_supported);
      await Promise.all(tokens.map((token) => this.#post(endpoint, method, token, deadline)));
      return 'revoked';
    } catch (error) {
      this.#logger.warn({ reason: describe(error, this.#timeoutMs) }, 'refresh token revocation failed');
      return 'failed';
    }
  }

  async #post(endpoint: string, method: SecretAuthMethod, token: string, deadline: AbortSignal): Promise<void> {
    const form = new URLSearchParams({ token, token_type_hint: 'refresh_token' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (method === 'client_secret_basic') {
      headers.authorization = basicCredentials(this.#clientId, this.#clientSecret);
    } else {
      form.set('client_id', this.#clientId);
      form.set('client_secret', this.#clientSecret);
    }
    // Not followed: a 307 or 308 would carry the client's credentials and the token wherever it points.
    const response = await fetch(endpoint, { method: 'POST', headers, body: form, redirect: 'error', signal: deadline });
    if (response.status === 200) {
      await response.body?.cancel();
      return;
    }
    // The error code only (RFC 6749 §5.2), e.g. invalid_client: never the request, which holds the token.
    // An OAuth error answer is a few hundred bytes; a longer one is not read on.
    // An answer that is not JSON (a gateway's page, or the provider's words echoing the token) gives
    // none: JSON.parse's error would quote its first characters, and take the place of this message.
    const code = await boundedResponseText(response, MAX_ERROR_ANSWER_BYTES).then(errorCodeOf, () => '');
    throw new Error(`${new URL(endpoint).origin} answered ${response.status}${code ? ` ${code}` : ''}`);
  }
}

/**
 * What of the provider's `error` goes into the log line: a known OAuth error code as it is,
 * anything else as a fixed placeholder. The provider's text is not to be trusted with more: one
 * that echoes the request (`invalid_request token=<refresh token>`), or puts a bare token or the
 * client secret in `error` (a 43-character base64url secret looks like any code), would otherwise
 * put a secret into the log. Known: the codes of RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1,
 * RFC 6750 §3.1, RFC 8628 §3.5, RFC 8707 §2, RFC 9449 and OpenID Connect Core §3.1.2.6, from
 * https://www.iana.org/assignments/oauth-parameters/oauth-parameters.xhtml#extensions-error.
 */
const KNOWN_ERROR_CODES = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope',
  'access_denied', 'unsupported_response_type', 'server_error', 'temporarily_unavailable',
  'unsupported_token_type', 'invalid_token', 'insufficient_scope',
  'authorization_pending', 'slow_down', 'expired_token', 'invalid_target', 'invalid_dpop_proof', 'use_dpop_nonce',
  'interaction_required', 'login_required', 'account_selection_required', 'consent_required',
  'invalid_request_uri', 'invalid_request_object', 'request_not_supported', 'request_uri_not_supported', 'registration_not_supported',
]);
const NOT_A_KNOWN_CODE = '(not a known error code)';

/** The loggable `error` of an OAuth error answer's text, or '' for text that is not JSON. */
function errorCodeOf(text: string): string {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return '';
  }
  return loggableErrorCode((answer as { error?: unknown } | null)?.error);
}

function loggableErrorCode(error: unknown): string {
  if (error === undefined || error === null || error === '') return '';
  return typeof error === 'string' && KNOWN_ERROR_CODES.has(error) ? error : NOT_A_KNOWN_CODE;
}

/**
 * The way to authenticate that the endpoint's advertised methods allow, preferring the one this
 * client is known to pass at the token endpoint (client_secret_post: MSAL's), since RFC 7009 §2.1
 * asks for the token endpoint's client authentication. Without a list, that one too, as
 * openid-client does when a client's `revocation_endpoint_auth_method` is unset (it takes the token
 * endpoint's); RFC 8414 §2's default for a missing list, client_secret_basic, says only that the
 * server takes Basic, not that it refuses the body.
 */
function secretAuthMethod(advertised: unknown): SecretAuthMethod {
  if (!Array.isArray(advertised)) return 'client_secret_post';
  if (advertised.includes('client_secret_post')) return 'client_secret_post';
  if (advertised.includes('client_secret_basic')) return 'client_secret_basic';
  throw new Error(`the revocation endpoint takes none of client_secret_post, client_secret_basic (it takes: ${advertised.map(String).join(', ') || 'nothing'})`);
}

/**
 * RFC 6749 §2.3.1: the client id and secret, each form-urlencoded first (so a `:` in the id cannot
 * split it), joined by `:`, in base64. `URLSearchParams` encodes as application/x-www-form-urlencoded.
 */
function basicCredentials(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
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
