import type { CachedToken } from '../../ports/identity-provider.port.ts';

interface SerializedCredential {
  readonly credential_type?: string;
  readonly target?: string;
  readonly expires_on?: string;
}

const KINDS: Record<string, CachedToken['kind']> = { AccessToken: 'access', RefreshToken: 'refresh', IdToken: 'id' };

/** Reads kinds, scopes and expiry out of MSAL's serialized cache; the secrets stay untouched. */
export function describeCachedTokens(serializedCache: string): CachedToken[] {
  const cache = JSON.parse(serializedCache) as Record<string, Record<string, SerializedCredential> | undefined>;
  return Object.entries(KINDS).flatMap(([section, kind]) =>
    Object.values(cache[section] ?? {}).map((entry) => ({
      kind,
      scopes: entry.target ? entry.target.split(' ').filter(Boolean) : [],
      ...(entry.expires_on ? { expiresOn: new Date(Number(entry.expires_on) * 1000) } : {}),
    })),
  );
}
