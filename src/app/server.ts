import { IssuerMismatch } from '../adapters/oidc/issuer-rule.ts';
import type { ProviderDiscovery } from '../adapters/oidc/provider-discovery.ts';
import { ConfigError, loadConfig, type ConfigFallbacks } from './config.ts';
import { createAppContainer } from './container.ts';
import { createApp } from './create-app.ts';
import { createLogger, type Logger } from './logger.ts';
import { storesReady } from './store-registrations.ts';

/**
 * Starts one app instance from the environment (`npm start` has loaded `.env` into it when present).
 * `fallbacks`: what a developer's machine may supply for missing settings (src/start.ts gives them
 * outside production); none here, so the app alone never invents a secret.
 */
export async function startServer(env: NodeJS.ProcessEnv = process.env, fallbacks: ConfigFallbacks = {}) {
  const config = loadConfig(env, fallbacks);
  const logger = createLogger(config.logLevel);
  if (config.allowPlaintextTokens && config.tokenEncryptionKeys.length === 0) {
    logger.warn('ALLOW_PLAINTEXT_TOKENS=true: refresh tokens are stored unencrypted; set TOKEN_ENCRYPTION_KEYS');
  }
  const container = createAppContainer(config, logger);
  container.cradle.expirySweeper; // start the periodic expiry sweep
  await storesReady(container.cradle);
  await providerChecked(container.cradle.providerDiscovery, logger);
  const app = createApp(container);
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  logger.info('listening', { url: config.publicUrl, tokenStore: config.tokenStore });
  return {
    server,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await container.dispose();
    },
  };
}

/**
 * Reads the provider's discovery document before serving, so a provider whose issuer does not fit
 * AUTHORITY stops the app at once (a ConfigError naming both values). A provider that cannot be
 * reached yet does not: sign-ins answer 503 until it can, and the check runs then.
 */
async function providerChecked(discovery: ProviderDiscovery, logger: Logger): Promise<void> {
  try {
    await discovery.get();
  } catch (error) {
    if (error instanceof IssuerMismatch) throw new ConfigError(`AUTHORITY does not fit its provider: ${error.message}`);
    logger.warn('the identity provider is not reachable yet: sign-ins answer 503 until it is', { error: String(error) });
  }
}

/** Runs until SIGINT/SIGTERM; a configuration problem ends the process with a message, not a stack. */
export async function runServer(fallbacks: ConfigFallbacks = {}): Promise<void> {
  try {
    const running = await startServer(process.env, fallbacks);
    const stop = () => void running.close().then(() => process.exit(0));
    process.once('SIGINT', stop).once('SIGTERM', stop);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Cannot start: ${error.message}\n`);
    process.exit(1);
  }
}

// Started directly (the dev stack's child processes, or `node src/app/server.ts`).
if (import.meta.url === `file://${process.argv[1]}`) await runServer();
