import { decodeJwt } from 'jose';
import { demoUserByUsername } from '../../demo-users.ts';
import type { TenantInstance } from '../tenant-instance.ts';

/**
 * The tenant whose end-session endpoint a `/common` sign-out goes to: the tenant of the
 * `id_token_hint` (its `tid`; read unverified here, the tenant verifies it), else of the
 * `logout_hint`'s user, else the tenant the browser is signed in to (the first one if several;
 * Entra would sign out every account of the browser), else the default tenant ("Signed out").
 */
export function tenantForLogout(params: URLSearchParams, tenants: readonly TenantInstance[], signedIn: readonly TenantInstance[]): TenantInstance {
  const byId = (tenantId: unknown) => tenants.find((tenant) => tenant.tenant.tenantId === tenantId);
  return byId(hintedTenantId(params.get('id_token_hint')))
    ?? byId(demoUserByUsername(params.get('logout_hint') ?? '')?.tenantId)
    ?? signedIn[0]
    ?? tenants[0]!;
}

function hintedTenantId(idTokenHint: string | null): unknown {
  if (!idTokenHint) return undefined;
  try {
    return decodeJwt(idTokenHint)['tid'];
  } catch {
    return undefined;
  }
}
