import { randomBytes } from 'node:crypto';

/** An unguessable URL-safe value (CSRF tokens, opaque handles). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
