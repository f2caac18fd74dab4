import type { AccessToken } from '../../ports/identity-provider.port.ts';

/** MSAL's default `tokenRenewalOffsetSeconds`: a token expiring sooner than this is refreshed. */
const RENEWAL_OFFSET_SECONDS = 300;
/** Scopes MSAL leaves out when it looks for an access token (ScopeSet.createSearchScopes). */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

interface SerializedAccount {
  home_account_id?: string;
  environment?: string;
  realm?: string;
}

interface SerializedAccessToken extends SerializedAccount {
  credential_type?: string;
  client_id?: string;
  secret?: string;
  target?: string;
  token_type?: string;
  key_id?: string;
  cached_at?: string;
  expires_on?: string;
  refresh_on?: string;
}

/**
 * The read-only fast path in front of MSAL: the one unexpired Bearer access token of this
 * account and client that covers `scopes`, found in the serialized partition by MSAL's own rules
 * (CacheManager.getAccessToken, SilentFlowClient.acquireCachedToken), or `undefined` whenever MSAL
 * might do anything else — no match, several matches, expiring within 5 minutes, past `refresh_on`,
 * a clock turned back. Then the caller asks MSAL, which refreshes. Building an MSAL client and
 * letting it parse the cache twice costs several times more than this (DESIGN.md, measured).
 */
export function cachedAccessToken(
  serializedCache: string,
  request: { accountId: string; clientId: string; scopes: readonly string[]; nowSeconds: number },
): AccessToken | undefined {
  const wanted = request.scopes.map((scope) => scope.toLowerCase()).filter((scope) => !OIDC_SCOPES.has(scope));
  if (wanted.length === 0) return undefined;
  const cache = JSON.parse(serializedCache) as Record<string, Record<string, SerializedAccessToken> | undefined>;
  const accounts = Object.values(cache.Account ?? {}).filter((account) => account.home_account_id === request.accountId);
  if (accounts.length !== 1) return undefined;
  const { environment, realm } = accounts[0]!;
  const matches = Object.values(cache.AccessToken ?? {}).filter(
    (token) =>
      token.credential_type?.toLowerCase() === 'accesstoken' &&
      token.home_account_id === request.accountId &&
      token.environment === environment &&
      token.realm === realm &&
      token.client_id === request.clientId &&
      (token.token_type ?? 'Bearer').toLowerCase() === 'bearer' &&
      !token.key_id &&
      covers(token.target, wanted),
  );
  if (matches.length !== 1) return undefined;
  const token = matches[0]!;
  const now = request.nowSeconds;
  const expiresOn = Number(token.expires_on);
  if (!token.secret || !(expiresOn > now + RENEWAL_OFFSET_SECONDS)) return undefined;
  if (Number(token.cached_at) > now) return undefined;
  if (token.refresh_on && Number(token.refresh_on) < now) return undefined;
  return { token: token.secret, expiresOn: new Date(expiresOn * 1000), scopes: token.target!.split(' ') };
}

function covers(target: string | undefined, wanted: readonly string[]): boolean {
  if (!target) return false;
  const granted = new Set(target.toLowerCase().split(' '));
  return wanted.every((scope) => granted.has(scope));
}
