import type { AccessToken, CachedToken } from '../../ports/identity-provider.port.ts';
import { describeCachedTokens } from './cached-tokens.ts';
import type { SerializedCache } from './msal-cache-format.ts';

/** MSAL's default `tokenRenewalOffsetSeconds`: a token expiring sooner than this is refreshed. */
const RENEWAL_OFFSET_SECONDS = 300;
/** The least time a token handed to the API has left: its call may be slow, the API's clock ahead. */
const MIN_RENEWAL_MARGIN_SECONDS = 60;
/** Scopes MSAL leaves out when it looks for an access token (ScopeSet.createSearchScopes). */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * The scopes of `requested` that an access token must list to be served from the cache (MSAL's
 * rule, which sets the OpenID Connect ones aside): none, and no cached token is ever served, so
 * every request refreshes at the provider.
 */
export function cacheableScopes(requested: readonly string[]): string[] {
  return requested.map((scope) => scope.toLowerCase()).filter((scope) => !OIDC_SCOPES.has(scope));
}


export interface UsableAccessToken {
  readonly secret: string;
  readonly scopes: readonly string[];
  /**
   * The lower-cased scopes between spaces (` user.read openid `), for matching: one string instead
   * of a Set of them, about 500 bytes less per token kept in memory.
   */
  readonly granted: string;
  readonly cachedAt: number;
  readonly expiresOn: number;
  readonly refreshOn: number | undefined;
}

/**
 * What the request path needs from one account's serialized MSAL cache, parsed once: the Bearer
 * access tokens MSAL could return for this account and client, and the list of tokens held. No
 * refresh token is kept: only MSAL, given the full partition, ever uses one.
 */
export interface PartitionView {
  readonly version: string;
  readonly accessTokens: readonly UsableAccessToken[];
  readonly held: readonly CachedToken[];
}

/**
 * Keeps the access tokens that MSAL's CacheManager.getAccessToken would consider: this account
 * (home account id, its environment and realm), this client, Bearer, no key binding. A partition
 * that does not hold exactly one matching account yields none, so MSAL decides.
 *
 * `authority` settles the realm of an account whose ID token names no tenant (none of `tid`, `tfp`
 * or `acr`, which MSAL reads in that order: Okta's, for one). MSAL gives such an account the realm
 * "" and its access tokens the authority's FIRST path segment (`authority.tenant` in
 * ResponseHandler.generateCacheRecord), then looks them up under its LAST one
 * (getTenantFromAuthorityString in SilentFlowClient.acquireCachedToken; both in
 * lib/msal-common/src of https://github.com/AzureAD/microsoft-authentication-library-for-js). With
 * `/oauth2/default` or `/realms/demo` the two differ, MSAL never finds the token it stored, and
 * every page refreshed at the provider. Here the realm it was stored under counts as the account's.
 */
export function partitionView(serializedCache: string, version: string, accountId: string, clientId: string, authority = ''): PartitionView {
  const cache = JSON.parse(serializedCache) as SerializedCache;
  const accounts = Object.values(cache.Account ?? {}).filter((account) => account.home_account_id === accountId);
  const held = describeCachedTokens(cache);
  if (accounts.length !== 1) return { version, accessTokens: [], held };
  const scopesOf = scopeArrays(held);
  const { environment, realm } = accounts[0]!;
  const tokenRealm = realm || realmOfTokensFrom(authority);
  const accessTokens = Object.values(cache.AccessToken ?? {})
    .filter(
      (token) =>
        token.credential_type?.toLowerCase() === 'accesstoken' &&
        token.home_account_id === accountId &&
        token.environment === environment &&
        (token.realm === realm || token.realm === tokenRealm) &&
        token.client_id === clientId &&
        (token.token_type ?? 'Bearer').toLowerCase() === 'bearer' &&
        !token.key_id &&
        !!token.secret &&
        !!token.target,
    )
    .map((token) =>
      usableAccessToken({
        secret: token.secret!,
        scopes: scopesOf(token.target!),
        cachedAt: Number(token.cached_at),
        expiresOn: Number(token.expires_on),
        refreshOn: token.refresh_on ? Number(token.refresh_on) : undefined,
      }),
    );
  return { version, accessTokens, held };
}

/** The realm MSAL stores a token under when the ID token names no tenant: the authority's first path segment, lower case. */
function realmOfTokensFrom(authority: string): string {
  if (!URL.canParse(authority)) return '';
  return new URL(authority.toLowerCase()).pathname.split('/').find((segment) => segment !== '') ?? '';
}

/** An access token as a view keeps it: what it was given, and its scopes spelled for matching. */
export function usableAccessToken(token: Omit<UsableAccessToken, 'granted'>): UsableAccessToken {
  return { ...token, granted: ` ${token.scopes.join(' ').toLowerCase()} ` };
}

/**
 * The scopes of a token held, as `held` lists them: a view keeps one array per scope string instead
 * of splitting it again for each access token (memory held per partition, not speed).
 */
export function scopeArrays(held: readonly CachedToken[]): (target: string) => readonly string[] {
  const byTarget = new Map(held.map((token) => [token.scopes.join(' '), token.scopes]));
  return (target) => byTarget.get(target) ?? target.split(' ');
}

/** Now in seconds, rounded as MSAL rounds it (TimeUtils.nowSeconds), so `cached_at` compares alike. */
export function nowSeconds(): number {
  return Math.round(Date.now() / 1000);
}

/**
 * The read-only fast path in front of MSAL: the one access token that covers `scopes` and that
 * MSAL would return from its cache (SilentFlowClient.acquireCachedToken), or `undefined` whenever
 * MSAL might do anything else — no match, several matches, expiring within 5 minutes, past
 * `refresh_on`, a clock turned back. Then the caller asks MSAL, which refreshes.
 */
export function cachedAccessToken(view: PartitionView, scopes: readonly string[], nowSeconds: number): AccessToken | undefined {
  const found = matchedAccessToken(view, scopes, nowSeconds);
  return found && !found.refreshDue ? found.token : undefined;
}

/**
 * `cachedAccessToken`, and also the token it steps aside for only because its `refresh_on` has
 * passed (`refreshDue`): still valid beyond the renewal margin, so it may be served while a refresh
 * runs behind it.
 */
export function matchedAccessToken(view: PartitionView, scopes: readonly string[], nowSeconds: number): { token: AccessToken; refreshDue: boolean } | undefined {
  const token = validToken(view, scopes, nowSeconds);
  if (!token) return undefined;
  return { token: accessTokenOf(token), refreshDue: token.refreshOn !== undefined && token.refreshOn < nowSeconds };
}

/** The one token MSAL would match for `scopes`, unless it expires within the margin or comes from the future. */
function validToken(view: PartitionView, scopes: readonly string[], nowSeconds: number): UsableAccessToken | undefined {
  const wanted = cacheableScopes(scopes);
  // A "scope" with a space in it is no scope a token lists (MSAL compares it whole): MSAL decides.
  if (wanted.length === 0 || wanted.some((scope) => scope.includes(' '))) return undefined;
  const delimited = wanted.map((scope) => ` ${scope} `); // as `granted` spells them: once, not per token
  const matches = view.accessTokens.filter((token) => delimited.every((scope) => token.granted.includes(scope)));
  if (matches.length !== 1) return undefined;
  const token = matches[0]!;
  if (!(token.expiresOn > nowSeconds + renewalMargin(token))) return undefined;
  if (token.cachedAt > nowSeconds) return undefined;
  return token;
}

/**
 * How long before its expiry a token is no longer served: MSAL's 5 minutes, or for a token that
 * lives 10 minutes or less half its lifetime, at least a minute. The one place this path departs
 * from MSAL's rule: MSAL takes every token within 5 minutes of expiry for expired (its offset cannot
 * be set through msal-node's configuration), so with tokens of 5 minutes or less (Keycloak's default
 * lifespan) every page refreshed at the provider. Such a token is now served for the first half of
 * its life; past that MSAL is asked, and refreshes as before.
 */
function renewalMargin(token: UsableAccessToken): number {
  return Math.min(RENEWAL_OFFSET_SECONDS, Math.max(MIN_RENEWAL_MARGIN_SECONDS, (token.expiresOn - token.cachedAt) / 2));
}

function accessTokenOf(token: UsableAccessToken): AccessToken {
  return { token: token.secret, expiresOn: new Date(token.expiresOn * 1000), scopes: token.scopes };
}
