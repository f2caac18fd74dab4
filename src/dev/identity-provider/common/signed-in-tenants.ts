import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TenantInstance } from '../tenant-instance.ts';

/**
 * The tenants in which this browser has a signed-in session: its session cookie for that tenant
 * (each tenant has its own, signed) names a stored session with an account. Read the way
 * oidc-provider reads it, without creating or touching anything
 * (https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/models/session.js, `Session.get`).
 */
export async function signedInTenants(tenants: readonly TenantInstance[], req: IncomingMessage, res: ServerResponse): Promise<TenantInstance[]> {
  const found: TenantInstance[] = [];
  for (const tenant of tenants) {
    const { provider } = tenant;
    const sessionId = provider.createContext(req, res).cookies.get(provider.cookieName('session'));
    const session = sessionId ? await provider.Session.find(sessionId) : undefined;
    if (session?.accountId) found.push(tenant);
  }
  return found;
}
