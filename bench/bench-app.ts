import { randomBytes } from 'node:crypto';
import { asValue } from 'awilix';
import type { Redis } from 'ioredis';
import type { ProviderDiscovery } from '../src/adapters/oidc/provider-discovery.ts';
import { buildApp, type BuildOptions, type BuiltApp } from '../src/app/build-app.ts';
import { createLogger } from '../src/app/observability/logger.ts';
import type { PartitionTemplate } from './partition-template.ts';

/**
 * The real app as the benchmarks build it, in the calling process: the template's authority and
 * client, its discovery document given (the bench never signs in through the provider, so no
 * network), encryption on, only errors logged. `env` adds or replaces settings: the store, its file
 * or key prefix, the API, the session keys; `overrides` replace registrations (an API answered from memory).
 */
export function buildBenchApp(
  template: PartitionTemplate,
  env: Record<string, string>,
  overrides: BuildOptions['overrides'] = {},
): Promise<BuiltApp> {
  return buildApp(
    {
      AUTHORITY: template.authority,
      CLIENT_ID: template.clientId,
      CLIENT_SECRET: 'bench-secret',
      PUBLIC_URL: 'http://127.0.0.1',
      SESSION_KEYS: randomBytes(32).toString('base64url'),
      TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64'),
      // Port 9 (discard): a bench that loads no page never calls the API.
      API_URL: 'http://127.0.0.1:9/v1.0/me',
      API_SCOPES: template.apiScopes.join(' '),
      LOG_LEVEL: 'error',
      ...env,
    },
    {
      logger: createLogger({ level: 'error', format: 'json' }),
      overrides: {
        providerDiscovery: asValue({ configuration: async () => template.discovery, trustsIssuer: async () => false, issuerRefusal: async () => 'iss' } as unknown as ProviderDiscovery),
        ...overrides,
      },
    },
  );
}

/** Leaves the shared Redis as it was: the seeded keys would otherwise live for their 90-day TTL. */
export async function deleteBenchKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
