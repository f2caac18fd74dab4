import type { CachedToken } from '../../ports/identity-provider.port.ts';
import type { SerializedCache } from './msal-cache-format.ts';


const KINDS: Record<string, CachedToken['kind']> = { AccessToken: 'access', RefreshToken: 'refresh', IdToken: 'id' };

/** Every kind `describeCachedTokens` gives. */
export const CACHED_TOKEN_KINDS: ReadonlySet<unknown> = new Set(Object.values(KINDS));

/** Reads kinds, scopes and expiry out of MSAL's (parsed) serialized cache; never the secrets. */
export function describeCachedTokens(cache: SerializedCache): CachedToken[] {
  return Object.entries(KINDS).flatMap(([section, kind]) =>
    Object.values(cache[section] ?? {}).map((entry) => ({
      kind,
      scopes: entry.target ? entry.target.split(' ').filter(Boolean) : [],
      ...(entry.expires_on ? { expiresOn: new Date(Number(entry.expires_on) * 1000) } : {}),
    })),
  );
}
