import { AuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import {
  IdentityProviderUnavailable,
  InteractionRequired,
  SignInFailed,
  SignInRejected,
  SignInUnverified,
} from '../../domain/errors.ts';
import { ProviderUnreachable } from './fetch-network-client.ts';

/** Translates what MSAL throws while acquiring a token silently into domain errors. */
export function silentTokenError(error: unknown, scopes: readonly string[]): unknown {
  if (isUnreachable(error)) return new IdentityProviderUnavailable('token refresh failed', { cause: error });
  if (error instanceof InteractionRequiredAuthError || (error instanceof ServerError && error.errorCode === 'invalid_grant')) {
    const claims = error instanceof InteractionRequiredAuthError ? error.claims || undefined : undefined;
    return new InteractionRequired(scopes, claims, { cause: error, reason: error.errorCode });
  }
  if (error instanceof ServerError) return new IdentityProviderUnavailable(`token refresh refused: ${error.errorCode}`, { cause: error });
  return error;
}

/** Translates what MSAL throws while redeeming an authorization code into domain errors. */
export function codeRedemptionError(error: unknown): unknown {
  if (isUnreachable(error)) return new IdentityProviderUnavailable('code redemption failed', { cause: error });
  if (error instanceof AuthError) {
    // MSAL compares the ID token's nonce before the app's own checks run: the same refusal as theirs.
    if (error.errorCode === 'nonce_mismatch') return new SignInUnverified('nonce', { cause: error });
    if (error.errorCode === 'state_mismatch') {
      return new SignInRejected('The sign-in response failed a security check. Please start again.');
    }
    if (error instanceof ServerError && isServerSide(error)) {
      return new IdentityProviderUnavailable(`code redemption refused: ${error.errorCode}`, { cause: error });
    }
    if (error instanceof ServerError || error instanceof InteractionRequiredAuthError) {
      return new SignInFailed(error.errorCode, undefined, { cause: error });
    }
  }
  return error;
}

function isServerSide(error: ServerError): boolean {
  return error.status !== undefined && error.status >= 500;
}

function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof ProviderUnreachable) return true;
    if (e instanceof AuthError && (e.errorCode === 'network_error' || e.errorCode === 'endpoints_resolution_error')) return true;
  }
  return false;
}
