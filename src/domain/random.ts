import { createHash, randomBytes } from 'node:crypto';

/** An unguessable URL-safe value for `state`, `nonce`, PKCE verifiers and CSRF tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** PKCE S256 code challenge of a verifier (RFC 7636 section 4.2). */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
