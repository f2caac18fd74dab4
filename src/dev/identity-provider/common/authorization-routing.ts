import { demoUserByUsername } from '../../demo-users.ts';
import type { TenantInstance } from '../tenant-instance.ts';

export type AuthorizationRoute =
  | { readonly to: 'tenant'; readonly tenant: TenantInstance }
  | { readonly to: 'sign-in' };

/**
 * Where a `/common` authorization request goes, as Entra's home realm discovery decides it:
 * 1. `login_hint` names a demo user (MSAL `loginHint`; the app re-authenticating its user): their tenant.
 * 2. `domain_hint` names a tenant's domain: that tenant (its login page).
 * 3. `prompt=none`: the tenant the browser is signed in to (the first one if several), else the
 *    default tenant, which answers `login_required` to the app as the spec wants.
 * 4. Signed in to exactly one tenant and no `prompt=login|select_account`: that tenant (single sign-on).
 * 5. Otherwise the `common` sign-in page, whose username decides.
 */
export function routeAuthorization(params: URLSearchParams, tenants: readonly TenantInstance[], signedIn: readonly TenantInstance[]): AuthorizationRoute {
  const byId = (tenantId: string | undefined) => tenants.find((tenant) => tenant.tenant.tenantId === tenantId);
  const hinted = byId(demoUserByUsername(params.get('login_hint') ?? '')?.tenantId)
    ?? tenants.find((tenant) => tenant.tenant.domain === params.get('domain_hint')?.toLowerCase());
  if (hinted) return { to: 'tenant', tenant: hinted };

  const prompts = new Set((params.get('prompt') ?? '').split(' ').filter(Boolean));
  if (prompts.has('none')) return { to: 'tenant', tenant: signedIn[0] ?? tenants[0]! };
  if (signedIn.length === 1 && !prompts.has('login') && !prompts.has('select_account')) return { to: 'tenant', tenant: signedIn[0]! };
  return { to: 'sign-in' };
}
