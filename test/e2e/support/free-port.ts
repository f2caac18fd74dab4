import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port nothing listens on, for a server the test starts a moment later.
 *
 * Not "bind port 0 and let it go": the OS picks port 0 from its ephemeral range, the same range it
 * takes the local port of every outgoing connection from, so in the moment between letting it go
 * and the server's `listen`, a client socket (to Redis, to a loopback app) could take it — seen in
 * CI as `EADDRINUSE` when the dev stack started. Ports below the ephemeral range are never given to
 * client sockets, so a port found free there stays free unless another server binds it. Each port
 * is handed out once per process.
 */
export async function freePort(): Promise<number> {
  const [low, high] = candidateRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

const handedOut = new Set<number>();

/** Below Linux's ephemeral range (`ip_local_port_range`, 32768–60999 by default) and above well-known services. */
function candidateRange(): [number, number] {
  let ephemeralLow = 32_768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // Not Linux: assume Linux's default range.
  }
  return [15_000, Math.max(16_000, Math.min(ephemeralLow, 32_768))];
}

/** Whether nothing listens on `port`, on any address: asked by listening, since nock, once loaded, fakes client connections. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // Every interface: a port a server holds on any address is not free for ours.
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
