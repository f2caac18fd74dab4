import type { DevProviderFixture } from './dev-provider-fixture.ts';
import { discover } from './sign-in.ts';
import type { Discovery } from './sign-in.ts';

/** The discovery documents of the `common` authority and of every tenant, keyed by tenant id. */
export async function discoverAll(fixture: DevProviderFixture): Promise<{ common: Discovery; tenants: Map<string, Discovery> }> {
  const common = await discover(fixture.ca, fixture.idp.commonAuthority);
  const tenants = new Map<string, Discovery>();
  for (const tenant of fixture.idp.tenants) tenants.set(tenant.tenantId, await discover(fixture.ca, tenant.issuer));
  return { common, tenants };
}

/** The `client_info` MSAL reads: base64url JSON `{uid, utid}`. */
export function decodeClientInfo(clientInfo: string | undefined): { uid: string; utid: string } {
  return JSON.parse(Buffer.from(clientInfo ?? '', 'base64url').toString('utf8')) as { uid: string; utid: string };
}
