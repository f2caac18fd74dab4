import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawTextAnswer } from './raw-text-answer.ts';

const ANSWER = 'CONNECT is not supported here: this is no proxy.';

/**
 * Answers `CONNECT` (a proxy's method) with a 501 and closes the connection. Node hands such a
 * request to a `'connect'` listener and never to the app, and without one it closes the socket
 * without a word (https://nodejs.org/api/http.html#event-connect): a client would see the
 * connection dropped instead of the 501 every other method the app does not take gets. `https`:
 * the server answers for an https PUBLIC_URL (HSTS).
 */
export function refuseConnect(server: Server, options: { https: boolean }): void {
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {}); // a client gone already: nothing to answer
    // Handed over, the socket is outside the server's timeouts and `closeAllConnections()`: a client
    // that keeps its half open, or sends more than the buffers hold, would hold a graceful
    // shutdown open for ever. What it sends is read and dropped (so its end is seen, and the socket
    // closes), and a socket still open a second later is destroyed.
    socket.resume();
    const deadline = setTimeout(() => socket.destroy(), 1000).unref();
    socket.once('close', () => clearTimeout(deadline));
    socket.end(rawTextAnswer('501 Not Implemented', ANSWER, options));
  });
}
