import type { TenantInstance } from '../tenant-instance.ts';

type Kind = 'AuthorizationCode' | 'RefreshToken' | 'AccessToken';

/**
 * The tenant that issued an opaque code or token, found by asking each tenant's own store: the
 * values carry no tenant marker, but only the issuer holds a record of one (random ids, and the
 * stores persist, so routing survives a restart). Consumed and expired records are still found,
 * so the issuing tenant gives its own answer (e.g. reuse detection).
 */
export async function tenantHolding(tenants: readonly TenantInstance[], kind: Kind, value: string | null | undefined): Promise<TenantInstance | undefined> {
  if (!value) return undefined;
  for (const tenant of tenants) {
    const model = tenant.provider[kind] as unknown as { find(value: string, options?: { ignoreExpiration?: boolean }): Promise<unknown> };
    if (await model.find(value, { ignoreExpiration: true })) return tenant;
  }
  return undefined;
}

/** The tenant for a token endpoint request: the issuer of its code or refresh token. */
export function tenantForTokenRequest(tenants: readonly TenantInstance[], form: URLSearchParams): Promise<TenantInstance | undefined> {
  switch (form.get('grant_type')) {
    case 'authorization_code': return tenantHolding(tenants, 'AuthorizationCode', form.get('code'));
    case 'refresh_token': return tenantHolding(tenants, 'RefreshToken', form.get('refresh_token'));
    default: return Promise.resolve(undefined);
  }
}

/** The tenant for an RFC 7009 revocation request: the issuer of its token, refresh or access. */
export async function tenantForRevocation(tenants: readonly TenantInstance[], form: URLSearchParams): Promise<TenantInstance | undefined> {
  const token = form.get('token');
  return (await tenantHolding(tenants, 'RefreshToken', token)) ?? tenantHolding(tenants, 'AccessToken', token);
}
