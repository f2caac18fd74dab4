import type { IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import type { TenantInstance } from './tenant-instance.ts';

/**
 * The provider's one HTTPS listener, split by the first path segment: `/<tenantId>/...` to that
 * tenant's oidc-provider, `/dev/admin/...` to the operator actions, everything else (`/common/...`,
 * `/oidc/userinfo`, `/.well-known/...`) to the front door, which picks a tenant per request.
 */
export function dispatchRequests(parts: { tenants: readonly TenantInstance[]; frontDoor: Koa; admin: Koa }) {
  const frontDoor = parts.frontDoor.callback();
  const admin = parts.admin.callback();
  const byTenantId = new Map(parts.tenants.map((tenant) => [tenant.tenant.tenantId, tenant]));
  return (req: IncomingMessage, res: ServerResponse): void => {
    const [, first = ''] = (req.url ?? '/').split(/[/?]/, 2);
    const tenant = byTenantId.get(first);
    if (tenant) void tenant.handle(req, res);
    else if (first === 'dev') void admin(req, res);
    else void frontDoor(req, res);
  };
}
