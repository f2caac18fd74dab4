import { readFile } from 'node:fs/promises';
import { startDemoApi } from './demo-api/start-demo-api.ts';
import type { DemoApi } from './demo-api/start-demo-api.ts';
import { startDevIdentityProvider } from './identity-provider/start-dev-identity-provider.ts';
import type { DevIdentityProvider, DevIdentityProviderOptions } from './identity-provider/start-dev-identity-provider.ts';

export interface DevServers {
  readonly identityProvider: DevIdentityProvider;
  readonly demoApi: DemoApi;
  close(): Promise<void>;
}

/**
 * The whole offline world the web app needs: the dev identity provider, then the demo API trusting
 * its certificate and keys, accepting the tokens of every tenant, and sharing the provider's record
 * of revoked sessions (one process). Closed in reverse order; if the API cannot start, the provider is closed.
 */
export async function startDevServers(options: DevIdentityProviderOptions & { demoApiPort?: number }): Promise<DevServers> {
  const { demoApiPort, ...providerOptions } = options;
  const identityProvider = await startDevIdentityProvider(providerOptions);
  let demoApi: DemoApi;
  try {
    demoApi = await startDemoApi({
      ...(demoApiPort === undefined ? {} : { port: demoApiPort }),
      issuer: identityProvider.tenants.map((tenant) => tenant.issuer),
      jwksUri: identityProvider.jwksUri,
      ca: await readFile(identityProvider.caCertPath),
      revocations: identityProvider.signInRevocations,
      ...(options.apiAudience ? { audience: options.apiAudience } : {}),
    });
  } catch (error) {
    await identityProvider.close();
    throw error;
  }
  return {
    identityProvider,
    demoApi,
    async close() {
      await demoApi.close();
      await identityProvider.close();
    },
  };
}
