interface SerializedRefreshToken {
  readonly credential_type?: string;
  readonly client_id?: string;
  readonly secret?: string;
}

/**
 * The refresh tokens of `clientId` in one account's serialized MSAL cache (a token partition), for
 * revocation after the partition was removed. Only this module and MSAL itself read a refresh
 * token's text; it is handed straight to the provider and never kept or logged. A partition that
 * is not MSAL's JSON holds none.
 */
export function refreshTokenSecrets(serializedCache: string, clientId: string): string[] {
  let cache: { RefreshToken?: Record<string, SerializedRefreshToken> };
  try {
    cache = JSON.parse(serializedCache) as typeof cache;
  } catch {
    return [];
  }
  const secrets = Object.values(cache?.RefreshToken ?? {})
    .filter((entry) => entry.credential_type?.toLowerCase() === 'refreshtoken' && entry.client_id === clientId)
    .flatMap((entry) => (typeof entry.secret === 'string' && entry.secret !== '' ? [entry.secret] : []));
  return [...new Set(secrets)];
}
