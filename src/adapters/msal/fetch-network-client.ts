import { InteractionRequiredAuthError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { AnswerTooLarge, boundedResponseText } from '../bounded-response-text.ts';
import { loggedProviderText, shownErrorCode } from '../../domain/provider-words.ts';
import { ProviderFailedAnswer, ProviderUnreachable, UnreadableIdToken, UnusableTokenResponse } from './network-client-errors.ts';

/**
 * MSAL's network seam on Node's global `fetch`, with a timeout on EVERY request: msal-node's own
 * client passes no timeout to its POSTs, token requests included
 * (https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-node/src/network/HttpClient.ts),
 * so a slow provider would hang a page forever.
 * TLS is Node's default: a self-signed dev provider is trusted through NODE_EXTRA_CA_CERTS, never by
 * turning verification off.
 */
export class FetchNetworkClient implements INetworkModule {
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'GET', options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'POST', options, undefined);
  }

  async #send<T>(
    url: string,
    method: 'GET' | 'POST',
    options: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ): Promise<NetworkResponse<T>> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers,
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        // A token endpoint does not redirect; fetch would follow a 307 or 308 with the same body,
        // the client secret and the code or refresh token in it, wherever the Location points.
        // Taken as it is (refused below): the provider answered, it failed the request.
        redirect: method === 'POST' ? 'manual' : 'follow',
        signal: AbortSignal.timeout(Math.min(timeout ?? this.#timeoutMs, this.#timeoutMs)),
      });
    } catch (error) {
      throw new ProviderUnreachable(`${method} ${new URL(url).origin} failed: ${describe(error)}`, { cause: error });
    }
    if (method === 'POST' && response.status >= 300 && response.status < 400) {
      void response.body?.cancel();
      throw new ProviderFailedAnswer(`${method} ${new URL(url).origin} answered ${response.status}, a redirect, which a token request never follows`);
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    let text: string;
    try {
      text = await boundedResponseText(response);
    } catch (error) {
      if (error instanceof AnswerTooLarge) throw new ProviderFailedAnswer(`${method} ${new URL(url).origin} answered ${response.status} with ${error.message}`, { cause: error });
      // The deadline, or the connection lost, while the answer came in: out of reach, as before it began.
      throw new ProviderUnreachable(`${method} ${new URL(url).origin} answered ${response.status}, then failed: ${describe(error)}`, { cause: error });
    }
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      // Not JSON.parse's own error as the cause: its message quotes the answer's first characters,
      // which from a token endpoint may be a token's, and the log writes a cause's message.
      throw new ProviderFailedAnswer(`${method} ${new URL(url).origin} answered ${response.status} without JSON`);
    }
    // A token endpoint failing (a 5xx, or 429: too many requests), whatever error it names: MSAL
    // sets a ServerError's status only from a `status` in the body, so `{"error":"service_unavailable"}`
    // with a 503 read as the sign-in refused ("Sign-in failed"), not the provider failing. The
    // provider's own words go with it, for the log (Entra's AADSTS code, trace and correlation ids).
    if (method === 'POST' && (response.status >= 500 || response.status === 429)) {
      const named = hasOAuthError(body) ? ` with the error ${shownErrorCode(String((body as { error: string }).error), 60)}${providerWords(body)}` : ' without an OAuth error';
      throw new ProviderFailedAnswer(`${method} ${new URL(url).origin} answered ${response.status}${named}`);
    }
    // Another failed token request that is not an OAuth error answer (RFC 6749 §5.2: `error` is
    // required), such as a gateway's 4xx page in JSON: MSAL tells a failure only by an `error`,
    // `error_description` or `suberror` in the body, takes anything else for a token response, and
    // then reports the missing ID token as a nonce mismatch (msal-common
    // ResponseHandler.validateTokenResponse), a refused sign-in where the provider is failing.
    if (method === 'POST' && !response.ok && !hasOAuthError(body)) {
      throw new ProviderFailedAnswer(`${method} ${new URL(url).origin} answered ${response.status} without an OAuth error`);
    }
    if (method === 'POST' && !response.ok) throwIfGrantRefusedWithClaims(body as object);
    if (method === 'POST' && response.ok) checkTokenResponse(body, url, options?.body);
    return { headers, body, status: response.status };
  }
}

/**
 * Throws `UnusableTokenResponse` for a successful answer to a token request this app cannot use. A
 * 200 with an OAuth error is left to MSAL, which reads `error` whatever the status.
 */
function checkTokenResponse(body: unknown, url: string, requestBody: string | undefined): void {
  if (hasOAuthError(body)) return;
  // RFC 6749 §5.1: access_token is REQUIRED. Without one, MSAL reported a code redeemed so as a
  // nonce mismatch (no ID token either), a sign-in refused where the provider had failed.
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('access_token' in body)) {
    throw new UnusableTokenResponse('no_access_token', `POST ${new URL(url).origin} answered a token request with no access token`);
  }
  // A string, as every token is: MSAL took a number or an object for one, stored it and sent it.
  const accessToken = (body as { access_token?: unknown }).access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new UnusableTokenResponse('no_access_token', `POST ${new URL(url).origin} answered an access token that is not a non-empty string`);
  }
  checkTokenType(body, url);
  checkFieldsMsalReads(body, url);
  const redeemsCode = new URLSearchParams(requestBody ?? '').get('grant_type') === 'authorization_code';
  const idToken = (body as { id_token?: unknown }).id_token;
  if (redeemsCode && typeof idToken !== 'string') {
    throw new UnusableTokenResponse('no_id_token', `POST ${new URL(url).origin} redeemed the code without an ID token`);
  }
  if (redeemsCode && !decodesToJsonObject((idToken as string).split('.')[1])) {
    throw new UnreadableIdToken(`POST ${new URL(url).origin} redeemed the code with an ID token whose payload is no JSON object`);
  }
}

/** Throws `UnusableTokenResponse` for a token response that is not Bearer. */
function checkTokenType(body: object, url: string): void {
  const tokenType = (body as { token_type?: unknown }).token_type;
  if (typeof tokenType === 'string' && tokenType.toLowerCase() === 'bearer') return;
  // The type only, cut short: never the token, and a bounded log line whatever the provider sent.
  const shown = typeof tokenType === 'string' ? JSON.stringify(tokenType.slice(0, 40)) : 'none';
  throw new UnusableTokenResponse('unusable_token_type', `POST ${new URL(url).origin} answered a token of type ${shown}, not Bearer`);
}

/** The lifetimes MSAL adds to the request's time (ResponseHandler.generateCacheRecord in lib/msal-common). */
const LIFETIMES = ['expires_in', 'ext_expires_in', 'refresh_in', 'refresh_token_expires_in'] as const;

/** Throws `UnusableTokenResponse` for a lifetime, `scope` or `client_info` that MSAL would fail to read. */
function checkFieldsMsalReads(body: object, url: string): void {
  const { scope, client_info: clientInfo } = body as { scope?: unknown; client_info?: unknown };
  const lifetime = LIFETIMES.find((name) => (body as Record<string, unknown>)[name] !== undefined && !isSeconds((body as Record<string, unknown>)[name]));
  const unreadable =
    (lifetime && `an ${lifetime} that is not a number of seconds from 0 to ${MAX_LIFETIME_SECONDS}`) ||
    (scope !== undefined && typeof scope !== 'string' && 'a scope that is not a string') ||
    (clientInfo !== undefined && !decodesToJsonObject(clientInfo) && 'a client_info that is not a base64url-encoded JSON object');
  if (unreadable) throw new UnusableTokenResponse('unreadable_field', `POST ${new URL(url).origin} answered ${unreadable}`);
}

/**
 * Ten years. A longer lifetime is no token's (Entra's live about an hour, its refresh tokens 90
 * days): `expires_in: 1e13` was stored as an expiry no `Date` can hold, a 500 on every page after.
 */
const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;

/**
 * A number of seconds as RFC 6749 §5.1 has `expires_in`: a JSON number, or (as some providers send
 * it) its digits as text; never negative (`-5` was stored as expired, and every page refreshed).
 */
function isSeconds(value: unknown): boolean {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_LIFETIME_SECONDS;
}

/**
 * Whether `value` is base64url (or base64) text of a JSON object (not an array), as `client_info`
 * is (Entra: `{"uid":…,"utid":…}`) and a JWT's payload segment.
 */
function decodesToJsonObject(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    return typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded);
  } catch {
    return false;
  }
}

/**
 * A grant refused with `invalid_grant` (a refresh token expired or revoked, a code refused until
 * the user meets more) that names the claims to ask for: MSAL keeps a refusal's `claims` only on
 * the errors it takes for interaction required (`interaction_required` and the like:
 * isInteractionRequiredError in lib/msal-common/src/error/InteractionRequiredAuthError.ts), and
 * makes a plain `invalid_grant` a ServerError without them. Thrown as MSAL throws those (it passes
 * an `AuthError` from its network client on as it is), with the claims, so that the user signs in
 * again with them: after a refresh, or, once, after a code redemption (sign-in.ts).
 */
function throwIfGrantRefusedWithClaims(body: object): void {
  const { error, error_description: description, suberror, claims } = body as Record<string, unknown>;
  if (error !== 'invalid_grant' || typeof claims !== 'string' || claims === '') return;
  throw new InteractionRequiredAuthError(
    'invalid_grant',
    '', // no correlation id: the network client is not told MSAL's
    typeof description === 'string' ? description : undefined,
    typeof suberror === 'string' ? suberror : undefined,
    undefined,
    undefined,
    claims,
  );
}

/** An OAuth error answer (RFC 6749 §5.2): a non-empty `error`, as MSAL reads it (an empty one is none to MSAL). */
function hasOAuthError(body: unknown): boolean {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof error === 'string' && error !== '';
}

/**
 * What the provider said beside its error code, for the log, as MSAL's own error message carried it:
 * `error_description` (at most 300 characters, as a refused sign-in's is logged), `trace_id` and
 * `correlation_id` (Entra's, which its support asks for), control characters blanked.
 */
function providerWords(body: unknown): string {
  const { error_description: description, trace_id: traceId, correlation_id: correlationId } = body as Record<string, unknown>;
  const words = [
    typeof description === 'string' && description ? loggedProviderText(description, 300) : '',
    typeof traceId === 'string' && traceId ? `trace id ${loggedProviderText(traceId, 80)}` : '',
    typeof correlationId === 'string' && correlationId ? `correlation id ${loggedProviderText(correlationId, 80)}` : '',
  ].filter((word) => word !== '');
  return words.length > 0 ? `: ${words.join('; ')}` : '';
}


function describe(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return error instanceof Error ? error.message : String(error);
}
