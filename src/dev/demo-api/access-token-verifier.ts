import { createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { fetchTrustingCa } from '../node-http-fetch.ts';

export interface VerifierOptions {
  /** Every accepted `iss`: one per tenant whose users may call the API. */
  readonly issuer: string | readonly string[];
  readonly audience: string;
  readonly jwksUri: string;
  readonly requiredScope: string;
  readonly ca?: string | Buffer;
}

export type Verdict =
  | { readonly ok: true; readonly claims: JWTPayload & { oid?: string; scp?: string } }
  | { readonly ok: false; readonly reason: 'invalid_token' | 'insufficient_scope'; readonly description: string }
  | { readonly ok: false; readonly reason: 'keys_unavailable'; readonly description: string };

/**
 * Validates a bearer access token the way a resource server protected by Entra does: RS256
 * signature against the issuer's JWKS (fetched, cached, re-fetched when an unknown `kid` shows
 * up), `iss`, `aud`, `exp`/`nbf`, then the delegated scope in `scp`.
 *
 * `scp` holds scope names without the API prefix, as Entra writes them (`Profile.Read`); the full
 * value (`api://demo-api/Profile.Read`) is accepted too, for providers that keep it.
 * Failing to get the keys is the API's problem, not the token's: it is reported apart, so the
 * caller answers 503 instead of telling the client its token is bad.
 */
export function createAccessTokenVerifier(options: VerifierOptions): (token: string) => Promise<Verdict> {
  const keys = createRemoteJWKSet(new URL(options.jwksUri), options.ca ? { [customFetch]: fetchTrustingCa(options.ca) } : {});
  const accepted = new Set([options.requiredScope, `${options.audience}/${options.requiredScope}`]);

  return async (token) => {
    let claims: JWTPayload & { scp?: unknown };
    try {
      ({ payload: claims } = await jwtVerify(token, keys, { issuer: [options.issuer].flat(), audience: options.audience, algorithms: ['RS256'], requiredClaims: ['exp'] }));
    } catch (error) {
      if (keysUnavailable(error)) {
        return { ok: false, reason: 'keys_unavailable', description: 'signing keys could not be fetched' };
      }
      return { ok: false, reason: 'invalid_token', description: describe(error as errors.JOSEError) };
    }
    const scopes = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
    if (!scopes.some((scope) => accepted.has(scope))) {
      return { ok: false, reason: 'insufficient_scope', description: `the token lacks the ${options.requiredScope} scope` };
    }
    return { ok: true, claims: claims as JWTPayload & { oid?: string; scp?: string } };
  };
}

/** Fetch failures, timeouts, non-200 or unparsable JWKS responses (jose throws a bare JOSEError for the last two). */
function keysUnavailable(error: unknown): boolean {
  return !(error instanceof errors.JOSEError)
    || error instanceof errors.JWKSTimeout
    || error instanceof errors.JWKSInvalid
    || error.constructor === errors.JOSEError;
}

function describe(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'the token is expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the token ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token was not signed by a known key';
  return 'the token is malformed';
}
