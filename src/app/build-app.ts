import type Koa from 'koa';
import { loadConfig, type Config, type ConfigFallbacks } from './config.ts';
import { createAppContainer, type AppContainer } from './container.ts';
import { createApp } from './create-app.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { cacheableScopes } from '../adapters/msal/partition-view.ts';
import { markPrefixInUse } from '../adapters/redis/redis-key-prefix.ts';
import { storesReady } from './store-registrations.ts';

export interface BuildOptions {
  /** What a developer's machine may supply for missing settings (src/start.ts, outside production). */
  readonly fallbacks?: ConfigFallbacks;
  /** Another logger than the one the configuration describes (tests read the lines). */
  readonly logger?: Logger;
  /** Registrations to replace (tests and the benchmark: a fake clock, a wrapped store, static discovery). */
  readonly overrides?: Parameters<typeof createAppContainer>[2];
}

export interface BuiltApp {
  readonly config: Config;
  readonly logger: Logger;
  readonly container: AppContainer;
  /** The Koa app; it does not listen (server.ts, a test or the benchmark decides where). */
  readonly app: Koa;
}

/**
 * The one way the app is put together, for the server, the tests and the benchmark alike:
 * configuration from `env`, the container, the background work every instance runs (the expiry
 * sweep, the sign-out journal's replay), stores that answer, and the Koa app.
 */
export async function buildApp(env: Readonly<Record<string, string | undefined>>, options: BuildOptions = {}): Promise<BuiltApp> {
  const config = loadConfig(env, options.fallbacks);
  const logger = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  if (config.allowPlaintextTokens && config.tokenEncryptionKeys.length === 0) {
    logger.warn({}, 'ALLOW_PLAINTEXT_TOKENS=true: refresh tokens are stored unencrypted; set TOKEN_ENCRYPTION_KEYS');
  }
  if (cacheableScopes(config.apiScopes).length === 0) {
    logger.warn(
      { apiScopes: config.apiScopes },
      'API_SCOPES names only OpenID Connect scopes: no access token is ever served from the cache, so every page refreshes at the provider; name the API\'s own scope',
    );
  }
  const container = createAppContainer(config, logger, options.overrides);
  startBackgroundWork(container);
  try {
    if (!(await storesReady(container.cradle))) logger.warn({}, 'redis is not reachable yet: requests that need it answer 503 until it is');
  } catch (error) {
    await container.dispose();
    throw error;
  }
  // Once the stores are known to be the configured ones (a database REDIS_URL names that Redis
  // refuses leaves the connection in database 0, where the mark would land): the operator's
  // command (not an app instance: it never builds the app) tells by it that it looks under the
  // app's prefix when it finds nobody signed in.
  if (config.tokenStore === 'redis') markPrefixInUse(container.cradle.redis, config.redisKeyPrefix);
  return { config, logger, container, app: createApp(container) };
}

/** Work an instance does besides answering requests; each piece stops when the container is disposed. */
function startBackgroundWork({ cradle }: AppContainer): void {
  // Resolving these singletons starts them (their registrations start timers and register disposers).
  void cradle.expirySweeper;
  void cradle.walCheckpointer;
  void cradle.signOutJournalReplayer;
}
