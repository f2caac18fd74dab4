import { AuthError } from '@azure/msal-node';

/**
 * What the network client (fetch-network-client.ts) throws, each an `AuthError`: MSAL passes those
 * on as they are, and replaces any other error a network client's POST throws with a bare
 * `network_error` (executePostToTokenEndpoint in lib/msal-common/src/protocol/Token.ts of
 * https://github.com/AzureAD/microsoft-authentication-library-for-js), so the type named here would
 * not reach the log. None carries a correlation id: the network client is not told MSAL's.
 */
abstract class NetworkClientError extends AuthError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, '', message);
    // AuthError's constructor sets its own prototype (as MSAL's subclasses undo): keep `instanceof` working.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = new.target.name;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The provider could not be reached or timed out. */
export class ProviderUnreachable extends NetworkClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('provider_unreachable', message, options);
  }
}

/**
 * The provider answered, but with nothing a client can use: no JSON, more than the bytes read, a
 * redirect, a 5xx or 429 to a token request (whatever error it names), or another failed token
 * request without an OAuth error (a gateway's page). The provider failing, not out of reach: at a
 * code redemption the user is told it could not complete the sign-in (msal-errors.ts).
 */
export class ProviderFailedAnswer extends NetworkClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('provider_failed_answer', message, options);
  }
}

/**
 * A token response this app cannot use, the provider failing rather than the user:
 * - no access token (RFC 6749 §5.1: REQUIRED, a string), or no JSON object at all;
 * - a token it cannot send as a Bearer token, which is how it sends every token: `token_type` is
 *   REQUIRED (RFC 6749 §5.1, compared case-insensitively) and its value MUST be `Bearer` (OpenID
 *   Connect Core 1.0 §3.1.3.3). MSAL does not check it for a Bearer request: it takes a missing one
 *   for Bearer, and stores another (`mac`, say) as a token of that scheme, which a Bearer request
 *   never finds again, so every page would refresh (createAccessTokenEntity in
 *   lib/msal-common/src/cache/utils/CacheHelpers.ts);
 * - a code redeemed without an ID token, which §3.1.3.3 requires: MSAL would report it as a nonce
 *   mismatch (ResponseHandler.validateTokenResponse in lib/msal-common), a refused sign-in;
 * - a field MSAL reads without checking its type: a `scope` that is not a string (MSAL splits it),
 *   a `client_info` that does not decode to a JSON object (MSAL reads `null`'s members), a lifetime
 *   that is no number of seconds (MSAL stores an invalid date, which the page cannot show). Each
 *   was a 500, at sign-in or on every page load that refreshed.
 */
export class UnusableTokenResponse extends NetworkClientError {
  constructor(code: 'no_access_token' | 'unusable_token_type' | 'no_id_token' | 'unreadable_field', message: string) {
    super(code, message);
  }
}

/**
 * A code redeemed with an ID token whose payload is no JSON object (`null`, `[]`, a string): a
 * token the client cannot read, refused as `malformed` (msal-errors.ts). MSAL would compare
 * `null`'s nonce first and report a nonce mismatch (ResponseHandler.validateTokenResponse in
 * lib/msal-common), naming the wrong rule in the log.
 */
export class UnreadableIdToken extends NetworkClientError {
  constructor(message: string) {
    super('unreadable_id_token', message);
  }
}
