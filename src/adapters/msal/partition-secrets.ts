import type { SerializedCache } from './msal-cache-format.ts';

/**
 * The refresh tokens of `clientId` in one account's serialized MSAL cache (a token partition), for
 * revocation after the partition was removed. Only this module and MSAL itself read a token's text
 * out of a partition; it is handed straight to the provider and never kept or logged. A partition
 * that is not MSAL's JSON holds none.
 */
export function refreshTokenSecrets(serializedCache: string, clientId: string): string[] {
  return secretsOf(serializedCache, 'RefreshToken', clientId);
}

/**
 * The ID token MSAL keeps for `accountId` and `clientId` in the account's serialized cache, sent
 * as the `id_token_hint` of a sign-out at the provider. `undefined` when there is none, or more
 * than one (another realm's): a hint is optional, and a wrong one would make the provider refuse.
 */
export function idTokenSecret(serializedCache: string, clientId: string, accountId: string): string | undefined {
  const secrets = secretsOf(serializedCache, 'IdToken', clientId, accountId);
  return secrets.length === 1 ? secrets[0] : undefined;
}

/** The distinct secrets of section `section` (its entries' `credential_type`, case aside) for this client. */
function secretsOf(serializedCache: string, section: 'RefreshToken' | 'IdToken', clientId: string, accountId?: string): string[] {
  let cache: SerializedCache | null;
  try {
    cache = JSON.parse(serializedCache) as SerializedCache | null;
  } catch {
    return [];
  }
  const secrets = Object.values(cache?.[section] ?? {})
    .filter(
      (entry) =>
        entry?.credential_type?.toLowerCase() === section.toLowerCase() &&
        entry.client_id === clientId &&
        (accountId === undefined || entry.home_account_id === accountId),
    )
    .flatMap((entry) => (typeof entry.secret === 'string' && entry.secret !== '' ? [entry.secret] : []));
  return [...new Set(secrets)];
}
