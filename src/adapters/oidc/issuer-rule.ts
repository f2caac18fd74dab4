import { cloudOf, CONSUMERS_TENANT_ID, isTenantId, type Authority } from './authority.ts';

/** Tenant ids whose users may sign in, or `*` (said explicitly) for every tenant; `[]`: no restriction. */
export type AllowedTenants = '*' | readonly string[];

const TEMPLATE = '{tenantid}';

/** The provider's discovery document names an issuer that does not belong to AUTHORITY. */
export class IssuerMismatch extends Error {
  override name = 'IssuerMismatch';
}

/**
 * Which `iss` this app accepts in ID tokens, logout tokens and front-channel sign-out requests.
 *
 * - A fixed issuer (single tenant, Entra External ID, B2C, any other provider) is compared exactly.
 * - A templated issuer (Entra `common`/`organizations`: `https://login.microsoftonline.com/{tenantid}/v2.0`)
 *   is resolved with the token's `tid`, and that tenant must be allowed.
 * - With a list of allowed tenants, a token's `tid` must be in it whatever the shape.
 */
export class IssuerRule {
  readonly issuer: string;
  readonly #allowed: AllowedTenants;
  readonly #tenantPattern: RegExp | undefined;

  /** Throws `IssuerMismatch` naming both values when `issuer` does not fit the authority. */
  constructor(authority: Authority, issuer: string, allowedTenants: AllowedTenants) {
    const problem = fitProblem(authority, issuer);
    if (problem) {
      throw new IssuerMismatch(`the provider's discovery document names issuer "${issuer}", which does not fit AUTHORITY "${authority.url.href}": ${problem}`);
    }
    this.issuer = issuer;
    this.#allowed = allowedTenants === '*' ? '*' : allowedTenants.map((tenant) => tenant.toLowerCase());
    this.#tenantPattern = issuer.includes(TEMPLATE)
      ? new RegExp(`^${escapeRegExp(issuer).replace(escapeRegExp(TEMPLATE), '([0-9a-f-]{36})')}$`)
      : undefined;
  }

  /** Why a token with these claims is refused (`iss` or `tid`), or `undefined` when it is accepted. */
  refusal(claims: { readonly iss?: unknown; readonly tid?: unknown }): 'iss' | 'tid' | undefined {
    if (typeof claims.iss !== 'string') return 'iss';
    const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : undefined;
    if (this.#tenantPattern) {
      // No tenant id to put in the template: the issuer cannot be told, a malformed token rather
      // than one of an organisation this app does not accept.
      if (!tid || !isTenantId(tid)) return 'iss';
      // The issuer first: a token that is not the provider's is refused as such, never as a user
      // of an organisation not allowed (whose page says trying again cannot help).
      if (claims.iss !== this.issuer.replace(TEMPLATE, tid)) return 'iss';
      return this.#tenantAllowed(tid) ? undefined : 'tid';
    }
    if (claims.iss !== this.issuer) return 'iss';
    if (this.#allowed !== '*' && this.#allowed.length > 0 && !(tid && this.#allowed.includes(tid))) return 'tid';
    return undefined;
  }

  /** Whether a bare `iss` (front-channel sign-out) is this provider's, for an allowed tenant. */
  trusts(iss: string): boolean {
    return this.issuerRefusal(iss) === undefined;
  }

  /**
   * Why a bare `iss` (an authorization response's) is refused: `tid` when it is the provider's
   * templated issuer resolved with a tenant the app does not allow (the user's organisation may not
   * sign in), `iss` when it is not the provider's at all; `undefined` when it is trusted.
   */
  issuerRefusal(iss: string): 'iss' | 'tid' | undefined {
    if (!this.#tenantPattern) return iss === this.issuer ? undefined : 'iss';
    const tid = this.#tenantPattern.exec(iss)?.[1];
    if (tid === undefined || !isTenantId(tid)) return 'iss';
    return this.#tenantAllowed(tid) ? undefined : 'tid';
  }

  #tenantAllowed(tid: string): boolean {
    return this.#allowed === '*' || this.#allowed.includes(tid);
  }
}

/** Why `issuer` does not belong to `authority`, or `undefined` when it does. */
function fitProblem(authority: Authority, issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer.replace(TEMPLATE, CONSUMERS_TENANT_ID));
  } catch {
    return 'it is not a URL';
  }
  if (url.protocol !== 'https:') return 'an issuer must be an https URL';
  const segments = url.pathname.split('/').filter(Boolean);
  const sameHost = url.host === authority.url.host;
  const sameCloud = sameHost || (authority.kind === 'entra' && cloudOf(url.hostname) === cloudOf(authority.url.hostname));
  if (issuer.includes(TEMPLATE)) {
    if (!authority.multiTenant) return `only a multi-tenant authority (common, organizations) publishes a templated issuer, and this one names tenant "${authority.tenantSegment}"`;
    if (!sameCloud) return `the host "${url.host}" is not the authority's ("${authority.url.host}")`;
    return issuer.endsWith(`/${TEMPLATE}/v2.0`) ? undefined : 'a templated issuer must end with /{tenantid}/v2.0';
  }
  if (authority.multiTenant) return `a multi-tenant authority ("${authority.tenantSegment}") must publish the templated issuer https://${authority.url.host}/${TEMPLATE}/v2.0`;
  const tenant = segments[0] ?? '';
  switch (authority.kind) {
    case 'entra':
      if (!sameCloud) return `the host "${url.host}" is not in the authority's cloud ("${authority.url.host}")`;
      if (!isTenantId(tenant) || segments[1] !== 'v2.0' || segments.length !== 2) return 'an Entra issuer is https://<host>/<tenant id>/v2.0';
      if (authority.tenantSegment === 'consumers' && tenant !== CONSUMERS_TENANT_ID) return `the consumers authority's issuer names tenant ${CONSUMERS_TENANT_ID}`;
      if (isTenantId(authority.tenantSegment ?? '') && tenant !== authority.tenantSegment) return `the tenant "${tenant}" is not the authority's "${authority.tenantSegment}"`;
      return undefined;
    case 'entra-external-id':
      // https://<tenant id>.ciamlogin.com/<tenant id>/v2.0, whatever subdomain the authority uses.
      if (url.hostname !== `${tenant}.ciamlogin.com` || !isTenantId(tenant) || segments[1] !== 'v2.0') return 'an External ID issuer is https://<tenant id>.ciamlogin.com/<tenant id>/v2.0';
      if (isTenantId(authority.tenantSegment ?? '') && tenant !== authority.tenantSegment) return `the tenant "${tenant}" is not the authority's "${authority.tenantSegment}"`;
      return undefined;
    case 'azure-ad-b2c':
      // https://<name>.b2clogin.com/<tenant id>/v2.0/ (with the trailing slash), on the authority's host.
      if (!sameHost) return `the host "${url.host}" is not the authority's ("${authority.url.host}")`;
      return isTenantId(tenant) && segments[1] === 'v2.0' && segments.length === 2 ? undefined : 'a B2C issuer is https://<name>.b2clogin.com/<tenant id>/v2.0/';
    case 'generic':
      // OpenID Connect Discovery 1.0 §4.3: the issuer is the URL discovery was fetched from.
      return trimSlash(issuer) === trimSlash(authority.url.href) ? undefined : 'the issuer must equal AUTHORITY (OpenID Connect Discovery 1.0 §4.3)';
  }
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
