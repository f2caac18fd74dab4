/**
 * The directories (Entra tenants) of the offline dev world. Each is served by its own
 * oidc-provider instance with its own issuer; the `common` authority fronts them all, as
 * `login.microsoftonline.com/common` fronts every Entra tenant.
 *
 * Ids are fixed GUIDs so issuers and homeAccountIds (`<oid>.<tid>`) are the same after a restart.
 */
export interface DemoTenant {
  readonly tenantId: string;
  /** For pages and logs only. */
  readonly displayName: string;
  /** The domain of its users' sign-in names (`alice@contoso.dev`). */
  readonly domain: string;
}

/** The tenant the provider has always served: apps configured with one tenant use this one. */
export const CONTOSO_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
/** A second tenant, so a multi-tenant app sees users whose `tid` and issuer differ. */
export const FABRIKAM_TENANT_ID = 'f4b1c3d2-7a9e-4e5b-8c6d-2b0a1e9f3c47';

/** First is the default: the one a single-tenant authority names, and the one that answers what no tenant claims. */
export const DEMO_TENANTS: readonly DemoTenant[] = Object.freeze([
  { tenantId: CONTOSO_TENANT_ID, displayName: 'Contoso', domain: 'contoso.dev' },
  { tenantId: FABRIKAM_TENANT_ID, displayName: 'Fabrikam', domain: 'fabrikam.dev' },
]);

export function demoTenantById(tenantId: string): DemoTenant | undefined {
  return DEMO_TENANTS.find((tenant) => tenant.tenantId === tenantId);
}
