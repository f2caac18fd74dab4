import { createHash, randomBytes } from 'node:crypto';
import { SignInFailed, SignInRejected } from '../../domain/errors.ts';
import type { SignInCallback, SignInChecks } from '../../ports/identity-provider.port.ts';

/**
 * The protocol checks of one authorization code sign-in, in one place: `state` (the callback
 * belongs to this browser's sign-in; RFC 6749 §10.12), `nonce` (the ID token was issued for it;
 * OpenID Connect Core §3.1.2.1) and the PKCE verifier (the code can only be redeemed by who asked
 * for it; RFC 7636, S256). The caller keeps them opaque and hands them back at the callback.
 */
export interface Checks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** Fresh, unguessable checks for a new sign-in, and the PKCE S256 challenge of its verifier. */
export function newSignInChecks(): { checks: Checks; codeChallenge: string } {
  const token = () => randomBytes(32).toString('base64url');
  const checks = { state: token(), nonce: token(), codeVerifier: token() };
  return { checks, codeChallenge: codeChallengeS256(checks.codeVerifier) };
}

/** PKCE S256 code challenge of a verifier (RFC 7636 §4.2). */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * The authorization code of a callback that belongs to the sign-in `kept` describes. The state is
 * compared first, before a provider error is believed: an `error=` for another browser's sign-in
 * must not be shown as this one's.
 */
export function codeOfCallback(kept: SignInChecks, callback: SignInCallback): { code: string; checks: Checks } {
  const checks = readChecks(kept);
  if (!callback.state || callback.state !== checks.state) {
    throw new SignInRejected('This sign-in response does not match the sign-in this browser started. Please start again.');
  }
  if (callback.error) throw new SignInFailed(callback.error, callback.error_description);
  if (!callback.code) throw new SignInRejected('The sign-in response has no authorization code. Please start again.');
  return { code: callback.code, checks };
}

function readChecks(kept: SignInChecks): Checks {
  const { state, nonce, codeVerifier } = kept;
  if (!state || !nonce || !codeVerifier) throw new SignInRejected('No sign-in is in progress in this browser. Please start again.');
  return { state, nonce, codeVerifier };
}
