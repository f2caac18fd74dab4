import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

/** The open connections of each server `watchConnections` was given, with how many requests each has the app serving. */
const connectionsOf = new WeakMap<Server, Map<Socket, number>>();

/**
 * Keeps the server's open connections for `drain`, which closes those that have no request the app
 * is serving: a browser's preconnect, a load balancer's warm pool, a client part-way through
 * sending a request (its headers not all in). Node's `closeIdleConnections` leaves them open (a
 * connection counts as idle only once it has been answered), so one of them held the drain for the
 * whole grace period, and the stop was logged as cutting requests when none ran. Call it before
 * the server accepts a connection.
 */
export function watchConnections(server: Server): void {
  const connections = new Map<Socket, number>();
  connectionsOf.set(server, connections);
  server.on('connection', (socket: Socket) => {
    connections.set(socket, 0);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const { socket } = request;
    if (!connections.has(socket)) return;
    connections.set(socket, connections.get(socket)! + 1);
    response.once('close', () => {
      if (connections.has(socket)) connections.set(socket, connections.get(socket)! - 1);
    });
  });
}

/**
 * Stops accepting connections, closes the idle ones at once and the others as they go idle, and
 * gives in-flight requests `graceMs` to finish before cutting what is left. A watched connection
 * (watchConnections) with no request in service is closed at the first sweep, 100 ms in, if it
 * still has none then (a request whose headers are in by then is served). Resolves to whether
 * every request finished in time.
 */
export async function drain(server: Server, graceMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const closeUnused = unusedConnectionsCloser(connectionsOf.get(server));
  const sweepIdle = () => {
    server.closeIdleConnections();
    closeUnused();
  };
  sweepIdle();
  const sweep = setInterval(sweepIdle, IDLE_SWEEP_MS);
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

/** Each call closes the connections that had no request in service at the call before, and still have none. */
function unusedConnectionsCloser(connections: Map<Socket, number> | undefined): () => void {
  let unusedBefore = new Set<Socket>();
  return () => {
    const unused = new Set<Socket>();
    for (const [socket, serving] of connections ?? []) {
      if (serving > 0) continue;
      if (unusedBefore.has(socket)) socket.destroy();
      else unused.add(socket);
    }
    unusedBefore = unused;
  };
}
