import { AuthError, ClientAuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import {
  IdentityProviderUnavailable,
  InteractionRequired,
  SignInFailed,
  SignInNotCompleted,
  SignInRejected,
  SignInUnverified,
  TokenRefreshFailed,
} from '../../domain/errors.ts';
import { isClaimsRequest } from '../../domain/claims-challenge.ts';
import { ProviderFailedAnswer, ProviderUnreachable, UnreadableIdToken, UnusableTokenResponse } from './network-client-errors.ts';

/**
 * Translates what MSAL throws while acquiring a token silently into domain errors: the provider out
 * of reach ("not reachable"), or reached but failing the refresh ("could not renew").
 */
export function silentTokenError(error: unknown, scopes: readonly string[]): unknown {
  const trouble = providerTrouble(error);
  if (trouble === 'failed') return new TokenRefreshFailed('token refresh failed', { cause: error });
  if (trouble === 'unreachable') return new IdentityProviderUnavailable('token refresh failed', { cause: error });
  if (error instanceof InteractionRequiredAuthError || (error instanceof ServerError && REFRESH_REFUSED_UNTIL_SIGN_IN.has(error.errorCode))) {
    // Claims that are no claims request are dropped, as for a code redemption (below): MSAL refuses
    // them when it builds the sign-in request, which was a 500 on every load of the page.
    const claims = error instanceof InteractionRequiredAuthError && isClaimsRequest(error.claims) ? error.claims : undefined;
    const sessionsRevoked = SESSIONS_REVOKED.has(String(error.errorNo));
    return new InteractionRequired(scopes, claims, { cause: error, reason: error.errorCode, sessionsRevoked });
  }
  if (error instanceof ServerError) return new TokenRefreshFailed(`token refresh refused: ${error.errorCode}`, { cause: error });
  // MSAL could not read the provider's answer (an ID token or client_info it cannot decode): the
  // provider failing, as an unusable answer to a code redemption is refused, not this server's fault.
  if (error instanceof ClientAuthError) return new TokenRefreshFailed(`token refresh answer unreadable: ${error.errorCode}`, { cause: error });
  return error;
}

/** Translates what MSAL throws while redeeming an authorization code for `scopes` into domain errors. */
export function codeRedemptionError(error: unknown, scopes: readonly string[]): unknown {
  // Reached but failing ("could not complete your sign-in"), or out of reach ("not reachable").
  const trouble = providerTrouble(error);
  if (trouble === 'failed') return new SignInNotCompleted('code redemption failed', { cause: error });
  if (trouble === 'unreachable') return new IdentityProviderUnavailable('code redemption failed', { cause: error });
  if (error instanceof AuthError) {
    if (error instanceof UnreadableIdToken) return new SignInUnverified('malformed', { cause: error });
    // MSAL compares the ID token's nonce before the app's own checks run: the same refusal as theirs.
    if (error.errorCode === 'nonce_mismatch') return new SignInUnverified('nonce', { cause: error });
    if (error.errorCode === 'state_mismatch') {
      return new SignInRejected('The sign-in response failed a security check. Please start again.');
    }
    // The provider's trouble, or this app's credentials (a wrong or expired CLIENT_SECRET): not
    // the user's, so a 503 that is logged as an error, as the same answers to a refresh are. The
    // provider was reached: "could not complete", not "not reachable".
    if (error instanceof ServerError && (isServerSide(error) || CLIENT_REFUSED.has(error.errorCode))) {
      return new SignInNotCompleted(`code redemption refused: ${error.errorCode}`, { cause: error });
    }
    // Asked for more, with the claims to ask for (Conditional Access at redemption, e.g. Entra's
    // AADSTS50076): the use case starts the sign-in again with them. Without claims a new sign-in
    // would ask for nothing more: a refusal, as below; nor would claims that are no claims request,
    // which MSAL refuses when it builds the request (`invalid_claims`, or a TypeError when it adds the
    // client's capabilities to `access_token`): a 500 after the pending sign-in was spent.
    if (error instanceof InteractionRequiredAuthError && isClaimsRequest(error.claims)) {
      return new InteractionRequired(scopes, error.claims, { cause: error, reason: error.errorCode });
    }
    if (error instanceof ServerError || error instanceof InteractionRequiredAuthError) {
      // The provider's words (MSAL's errorMessage, e.g. an AADSTS code) go with it, for the log.
      return new SignInFailed(error.errorCode, error.errorMessage || undefined, { cause: error, heardFrom: 'token endpoint' });
    }
    // MSAL could not read the token response (an ID token or client_info it cannot decode, a token
    // type it does not know): a response that fails the client's checks, as a refused ID token does.
    if (error instanceof ClientAuthError) return new SignInUnverified('malformed', { cause: error });
  }
  return error;
}

/**
 * A refresh refused for what the user holds, not for the provider's or the client's trouble: the
 * refresh token expired or was revoked (`invalid_grant`), or does not hold every scope the refresh
 * asks for (`invalid_scope`, RFC 6749 §6). MSAL asks for `openid profile offline_access` beside the
 * API's scopes on every refresh, and a provider that granted `offline_access` without its consent
 * (OpenID Connect Core §11 lets it ask for `prompt=consent`), or an API_SCOPES changed since the sign-in,
 * is refused so on every page: a new sign-in for those scopes answers it, where a 503 "try again" never would.
 */
const REFRESH_REFUSED_UNTIL_SIGN_IN = new Set(['invalid_grant', 'invalid_scope']);

/**
 * Entra's error numbers (`error_codes`) for a refresh refused because the user's tokens were
 * revoked, not because they expired: AADSTS50173, "the provided grant has expired due to it being
 * revoked" (a password changed or reset, an admin's "Revoke sessions": the user's TokensValidFrom
 * moved), and AADSTS50057, the user account disabled. What a CAE revocation challenge says to an API.
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes)
 */
const SESSIONS_REVOKED = new Set(['50173', '50057']);

/** RFC 6749 §5.2 errors that mean the client itself was refused. */
const CLIENT_REFUSED = new Set(['invalid_client', 'unauthorized_client']);

/**
 * A 5xx, or the error codes that say so (RFC 6749 §4.1.2.1, sent by Entra in the body of a token
 * answer too). MSAL sets `status` only for some requests (client credentials), so the code counts.
 */
function isServerSide(error: ServerError): boolean {
  return (error.status !== undefined && error.status >= 500) || error.errorCode === 'server_error' || error.errorCode === 'temporarily_unavailable';
}

/**
 * The provider's trouble, not the user's: it could not be reached (`unreachable`), or answered
 * what this app cannot use (`failed`).
 */
function providerTrouble(error: unknown): 'unreachable' | 'failed' | undefined {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ProviderFailedAnswer || e instanceof UnusableTokenResponse) return 'failed';
    if (e instanceof ProviderUnreachable) return 'unreachable';
    if (e instanceof AuthError && (e.errorCode === 'network_error' || e.errorCode === 'endpoints_resolution_error')) return 'unreachable';
  }
  return undefined;
}
