import type { Server } from 'node:http';
import type Koa from 'koa';
import type { Lifecycle } from './lifecycle.ts';

/** How often idle connections are closed while draining: those whose last answer went out without `Connection: close`. */
const IDLE_SWEEP_MS = 100;

/**
 * Once draining has begun, every answer closes its connection (`Connection: close`), also the
 * answers of requests that were already in flight: a keep-alive client cannot hold the drain open
 * by sending one more request. Before that it costs one flag read per request.
 */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): Koa.Middleware {
  return (ctx, next) =>
    next().then(() => {
      if (lifecycle.draining) ctx.set('Connection', 'close');
    });
}

/**
 * Stops accepting connections, closes the idle ones at once and the others as they go idle, and
 * gives in-flight requests `graceMs` to finish before cutting what is left. Resolves to whether
 * every request finished in time.
 */
export async function drain(server: Server, graceMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => (deadline = setTimeout(() => resolve(true), graceMs)));
  try {
    const cut = await Promise.race([closed.then(() => false), timedOut]);
    if (cut) {
      server.closeAllConnections();
      await closed;
    }
    return !cut;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
