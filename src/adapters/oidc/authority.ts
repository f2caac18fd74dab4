/**
 * What the configured AUTHORITY says about the provider: which Microsoft cloud (if any) it is in,
 * which tenant it names, and where its discovery document lives. Nothing here goes to the network.
 */

/**
 * Host aliases of each Microsoft cloud, as msal-common lists them in its instance discovery
 * metadata (lib/msal-common/src/authority/AuthorityMetadata.ts): a discovery document fetched from
 * one alias may name another one in its issuer (login.microsoft.com publishes
 * login.microsoftonline.com).
 */
const MICROSOFT_CLOUDS: readonly (readonly string[])[] = [
  ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
  ['login.partner.microsoftonline.cn', 'login.chinacloudapi.cn'],
  ['login.microsoftonline.us', 'login.usgovcloudapi.net'],
  ['login-us.microsoftonline.com'],
  ['login.sovcloud-identity.fr'],
  ['login.sovcloud-identity.de'],
  ['login.sovcloud-identity.sg'],
];

/** Entra's multi-tenant authority segments: the issuer depends on the user's home tenant. */
export const MULTI_TENANT_SEGMENTS: ReadonlySet<string> = new Set(['common', 'organizations']);

export type AuthorityKind = 'entra' | 'entra-external-id' | 'azure-ad-b2c' | 'generic';

export interface Authority {
  readonly url: URL;
  readonly kind: AuthorityKind;
  /** The first path segment: a tenant id or domain, `common`, `organizations`, `consumers`. */
  readonly tenantSegment: string | undefined;
  /** Microsoft hosts speak MSAL's AAD dialect (client_info, authority aliases); others plain OIDC. */
  readonly microsoft: boolean;
  /** `common` or `organizations`: users of any tenant may arrive, the app must choose which. */
  readonly multiTenant: boolean;
}

export function describeAuthority(authority: string): Authority {
  const url = new URL(authority);
  const host = url.hostname.toLowerCase();
  const tenantSegment = url.pathname.split('/').filter(Boolean)[0]?.toLowerCase();
  const kind: AuthorityKind = cloudOf(host)
    ? 'entra'
    : host.endsWith('.ciamlogin.com')
      ? 'entra-external-id'
      : host.endsWith('.b2clogin.com')
        ? 'azure-ad-b2c'
        : 'generic';
  return {
    url,
    kind,
    tenantSegment,
    microsoft: kind !== 'generic',
    // On any host: the offline dev provider serves Entra's `common` shape on localhost. A generic
    // provider whose path begins with `common` or `organizations` is read the same way (README).
    multiTenant: tenantSegment !== undefined && MULTI_TENANT_SEGMENTS.has(tenantSegment),
  };
}

/** The aliases of the Microsoft cloud `host` belongs to, or `undefined` for any other host. */
export function cloudOf(host: string): readonly string[] | undefined {
  return MICROSOFT_CLOUDS.find((aliases) => aliases.includes(host.toLowerCase()));
}

/** Where the discovery document lives, following MSAL's own rule (Authority.defaultOpenIdConfigurationEndpoint). */
export function discoveryUrl(authority: string): string {
  const base = authority.endsWith('/') ? authority : `${authority}/`;
  if (base.endsWith('v2.0/') || !describeAuthority(authority).microsoft) return `${base}.well-known/openid-configuration`;
  return `${base}v2.0/.well-known/openid-configuration`;
}

/** The Microsoft account (consumers) tenant: `/consumers` publishes its fixed issuer, and every token carries its `tid`. */
export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

/**
 * The tenant id every token of an authority naming one tenant by id carries (B2B guests included:
 * their `tid` is the tenant they sign in to), or `undefined` when the authority does not say
 * (multi-tenant, a domain name, B2C, a provider without tenants).
 */
export function singleTenantOf(authority: Authority): string | undefined {
  const segment = authority.tenantSegment;
  if (segment === undefined || authority.kind === 'azure-ad-b2c') return undefined;
  if (segment === 'consumers' && authority.microsoft) return CONSUMERS_TENANT_ID;
  return isTenantId(segment) ? segment : undefined;
}

/** Entra tenant ids are GUIDs. */
export function isTenantId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
