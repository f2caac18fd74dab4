import { decodeJwt } from 'jose';
import { idTokenSecret, refreshTokenSecrets } from './partition-secrets.ts';

/**
 * Whether the refresh tokens of `replaced`, partition data that a write of `current` took the place
 * of (a sign-in of an account already signed in on another device, or a refresh that lost its
 * write-back to one), are left behind: held nowhere once replaced, so no sign-out would find them
 * to revoke, while they stay valid at the provider.
 *
 * Only when the two come from different provider sessions (each ID token's `sid`, both known and
 * different): a provider that revokes the whole grant or session with a refresh token (oidc-provider,
 * Keycloak) would otherwise take the new tokens with the old, where a sign-in again in the same
 * browser, or a rotated token of the same session, shares them. And never a token `current` holds.
 */
export function refreshTokensLeftBehind(replaced: string, current: string, clientId: string, accountId: string): boolean {
  const held = new Set(refreshTokenSecrets(current, clientId));
  const left = refreshTokenSecrets(replaced, clientId);
  if (left.length === 0 || left.some((token) => held.has(token))) return false;
  const replacedSid = sidOf(idTokenSecret(replaced, clientId, accountId));
  const currentSid = sidOf(idTokenSecret(current, clientId, accountId));
  return replacedSid !== undefined && currentSid !== undefined && replacedSid !== currentSid;
}

function sidOf(idToken: string | undefined): string | undefined {
  if (idToken === undefined) return undefined;
  try {
    const { sid } = decodeJwt(idToken);
    return typeof sid === 'string' && sid !== '' ? sid : undefined;
  } catch {
    return undefined;
  }
}
