import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshLockTtlMs } from '../adapters/msal/refresh-gate.ts';
import { IssuerMismatch } from '../adapters/oidc/issuer-rule.ts';
import type { ProviderDiscovery } from '../adapters/oidc/provider-discovery.ts';
import { buildApp } from './build-app.ts';
import { answerClientErrors } from './client-error-answer.ts';
import { ConfigError, type ConfigFallbacks } from './config.ts';
import { refuseConnect } from './connect-refusal.ts';
import { cookiePolicy } from './cookie-policy.ts';
import { drain, watchConnections } from './graceful-shutdown.ts';
import { listenFailure } from './listen-failure.ts';
import { answerUnmetExpectations, withHostChecked } from './node-refusals.ts';
import { isMainModule } from './main-module.ts';
import type { Logger } from './observability/logger.ts';
import { startMetricsServer } from './observability/metrics-server.ts';

/**
 * Starts one app instance from the environment (`npm start` has loaded `.env` into it when present).
 * `fallbacks`: what a developer's machine may supply for missing settings (src/start.ts gives them
 * outside production); none here, so the app alone never invents a secret.
 */
export async function startServer(env: NodeJS.ProcessEnv = process.env, fallbacks: ConfigFallbacks = {}) {
  const { config, logger, container, app } = await buildApp(env, { fallbacks });
  const { cradle } = container;
  await providerChecked(cradle.providerDiscovery, logger);
  cradle.discoveryWarmUp.start(); // until discovery is held: /readyz waits for it
  let metricsServer: Server | undefined;
  let server: Server;
  try {
    if (config.metricsPort !== undefined) {
      metricsServer = await startMetricsServer(cradle.metrics, config.metricsPort, config.metricsHost).catch((error: unknown) => {
        throw listenFailure(error, { port: 'METRICS_PORT', host: config.metricsHostVariable }, config.metricsPort!, config.metricsHost);
      });
    }
    const { https } = cookiePolicy(config);
    // Koa's `app.listen`, with Node's own bare answer to a request without Host turned off for the app's, which checks Host whole (node-refusals.ts).
    server = createServer({ requireHostHeader: false }, withHostChecked(app.callback(), { https })).listen(config.port, config.host);
    refuseConnect(server, { https });
    answerUnmetExpectations(server, { https });
    answerClientErrors(server, { https });
    watchConnections(server);
    await once(server, 'listening').catch((error: unknown) => {
      throw listenFailure(error, { port: 'PORT', host: 'HOST' }, config.port, config.host);
    });
  } catch (error) {
    if (metricsServer) await drain(metricsServer, 0);
    await container.dispose();
    throw error;
  }
  logger.info(
    { url: config.publicUrl, port: portOf(server), metricsPort: metricsServer && portOf(metricsServer), tokenStore: config.tokenStore },
    'listening',
  );
  let stopping: Promise<boolean> | undefined;
  return {
    server,
    metricsServer,
    logger,
    /**
     * Graceful shutdown: not ready from now on, no new connections, in-flight requests get
     * SHUTDOWN_GRACE_MS to finish, token refreshes running behind them up to twice the refresh
     * lock's lifetime (HTTP_TIMEOUT_MS and 5 s), then the stores are closed. Resolves to whether every request
     * finished in time.
     */
    close(): Promise<boolean> {
      stopping ??= (async () => {
        const startedAt = Date.now();
        cradle.lifecycle.startDraining();
        const draining = drain(server, config.shutdownGraceMs); // the listener is closed when this returns
        logger.info({ graceMs: config.shutdownGraceMs }, 'shutting down: not accepting connections, draining requests');
        const drained = await draining;
        if (metricsServer) await drain(metricsServer, 0);
        // Refreshes started behind requests store what the provider gives before the stores close:
        // one may first wait for another instance's refresh lock (its lifetime and two polls), then
        // refresh under its own (most within that lifetime; one its provider keeps slower, which
        // the lock's extension allows, is cut here: its tokens are not written, and the user's next
        // page refreshes again, or signs in where the provider took the refresh token as spent).
        await cradle.backgroundRefreshes.settled(2 * refreshLockTtlMs(config.httpTimeoutMs));
        await container.dispose();
        logger.info({ drained, ms: Date.now() - startedAt }, drained ? 'stopped' : 'stopped: requests still running at the deadline were cut');
        return drained;
      })();
      return stopping;
    },
  };
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/**
 * Reads the provider's discovery document before serving, so a provider whose issuer does not fit
 * AUTHORITY stops the app at once (a ConfigError naming both values). A provider that cannot be
 * reached yet does not: the instance is not ready (/readyz) and sign-ins answer 503 until
 * DiscoveryWarmUp, or the first sign-in, loads it.
 */
async function providerChecked(discovery: ProviderDiscovery, logger: Logger): Promise<void> {
  try {
    await discovery.get();
  } catch (error) {
    if (error instanceof IssuerMismatch) throw new ConfigError(`AUTHORITY does not fit its provider: ${error.message}`);
    logger.warn({ err: error }, 'the identity provider is not reachable yet (or its discovery document is not usable: err says which): not ready, and sign-ins answer 503, until it is');
  }
}

/**
 * A second signal this soon after the first is the same request to stop: a terminal's Ctrl-C
 * reaches a launcher (the offline stack's, a process manager's) and the app together, and the
 * launcher then passes it on.
 */
const SAME_REQUEST_MS = 1000;

/**
 * Runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0; a second signal exits at
 * once (one within SAME_REQUEST_MS of the first is not a second). A signal while starting (opening
 * the stores, reaching Redis) stops the app once it has started, as gracefully: killed by the signal
 * mid-start, it exited 143 and left its journal's lock behind. A configuration problem ends the
 * process with a message, not a stack.
 */
export async function runServer(fallbacks: ConfigFallbacks = {}): Promise<void> {
  const launchedWithChannel = Boolean(process.channel);
  let running: Awaited<ReturnType<typeof startServer>> | undefined;
  let signalledAt: number | undefined;
  const shutDown = (started: NonNullable<typeof running>) =>
    started.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  const stop = () => {
    if (signalledAt !== undefined) {
      if (performance.now() - signalledAt < SAME_REQUEST_MS) return;
      // Said, or the log ended at "shutting down" with no word of why nothing stopped cleanly; on
      // stderr while still starting (no logger yet).
      const why = 'asked again to stop: stopping now, requests still running are cut';
      if (running) running.logger.warn(why);
      else process.stderr.write(`${why}\n`);
      process.exit(1);
    }
    signalledAt = performance.now();
    if (running) void shutDown(running); // else once started, below
  };
  process.on('SIGINT', stop).on('SIGTERM', stop);
  try {
    running = await startServer(process.env, fallbacks);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Cannot start: ${error.message}\n`);
    process.exit(1);
  }
  if (signalledAt !== undefined) return void shutDown(running);
  // Started by a launcher with an IPC channel (the offline stack's): the channel closes when the
  // launcher dies, even by SIGKILL, which it cannot pass on; this app then stops as if signalled,
  // rather than go on holding its port.
  if (launchedWithChannel && !process.connected) stop();
  else if (launchedWithChannel) process.on('disconnect', () => signalledAt === undefined && stop());
}

// Started directly (the dev stack's child processes, or `node src/app/server.ts`).
if (isMainModule(import.meta.url)) await runServer();
