import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { DemoTenant } from '../demo-tenants.ts';
import { createDevProvider } from './create-dev-provider.ts';
import type { DevProviderExtras } from './create-dev-provider.ts';
import { entraPaths } from './entra-paths.ts';
import type { EntraPaths } from './entra-paths.ts';
import type { JsonFileStore } from './json-file-store.ts';
import type { DevProviderSettings } from './provider-configuration.ts';

/** One tenant as served: its own oidc-provider instance, issuer, paths and store. */
export interface TenantInstance {
  readonly tenant: DemoTenant;
  /** `<origin>/<tenantId>/v2.0`: in every token this tenant issues, whichever authority the app used. */
  readonly issuer: string;
  readonly paths: EntraPaths;
  readonly provider: Provider;
  readonly store: JsonFileStore;
  /** The provider's request handler; requests reach it with a path under `/<tenantId>/` (or `/oidc/userinfo`). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createTenantInstance(
  origin: string,
  settings: Omit<DevProviderSettings, 'paths'> & DevProviderExtras,
): TenantInstance {
  const paths = entraPaths(settings.tenant.tenantId);
  const issuer = `${origin}${paths.issuerPath}`;
  const provider = createDevProvider(issuer, { ...settings, paths });
  const callback = provider.callback();
  return {
    tenant: settings.tenant,
    issuer,
    paths,
    provider,
    store: settings.store,
    handle: async (req, res) => {
      await callback(req, res);
    },
  };
}
