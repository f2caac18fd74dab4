import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawTextAnswer } from './raw-text-answer.ts';

/**
 * What a request Node's HTTP parser refuses is told, by the parser's error code. Such a request
 * never reaches the app (there is no request to route), and without a `'clientError'` listener Node
 * answers a bare status line with no body: a browser carrying more than 16 KB of cookies for this
 * host (other apps on a parent domain, say) would show an empty page, with no word of what to do.
 */
const ANSWERS: Record<string, { status: string; text: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: '431 Request Header Fields Too Large',
    text: "This request's headers are larger than this site accepts: the browser sends too many or too large cookies for it, or too long an address. Clearing this site's cookies fixes the first.",
  },
  // Named as Node's and Koa's own 413s name it (`http.STATUS_CODES`), not RFC 9110's "Content Too Large": one status, one name.
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: '413 Payload Too Large', text: "This request's body has chunk extensions larger than this site accepts." },
  ERR_HTTP_REQUEST_TIMEOUT: { status: '408 Request Timeout', text: 'This request took too long to arrive. Please try again.' },
};
const NOT_HTTP = { status: '400 Bad Request', text: 'This request could not be read: it is not valid HTTP.' };

/**
 * Answers the requests Node's HTTP parser refuses (headers over its limit, bytes no request may
 * hold, a request that took too long) with their status and a sentence of plain text
 * (raw-text-answer.ts), then closes the connection, as Node's own answer does. `https`: PUBLIC_URL
 * is https (HSTS).
 *
 * As Node's default (`socketOnError` in https://github.com/nodejs/node/blob/v24.x/lib/_http_server.js),
 * nothing is written when the socket can no longer take it, or when an answer to an earlier
 * request on the same connection has begun: a second status line inside it would corrupt it.
 */
export function answerClientErrors(server: Server, options: { https: boolean }): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, text } = ANSWERS[error.code ?? ''] ?? NOT_HTTP;
    socket.end(
      rawTextAnswer(status, text, options),
      // Closed once the answer is handed over, as Node does: the parser may still be sound (a 408),
      // and what the client sends after the answer must not be read as a request and carried out.
      () => socket.destroy(),
    );
    // A client that never reads the answer must not keep the socket (and a graceful shutdown) open.
    const deadline = setTimeout(() => socket.destroy(), 1000).unref();
    socket.once('close', () => clearTimeout(deadline));
  });
}
