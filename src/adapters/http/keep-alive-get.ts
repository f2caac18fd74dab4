import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface GetResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * The most of an answer's body that is read: a downstream API's JSON for one page is far smaller,
 * and without a bound an API (or whatever answers in its place) could make the app hold any amount
 * in memory, and past V8's longest string (about 512 MB) end the process.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * GET over node:http(s) with a keep-alive agent, the whole exchange bounded by `timeoutMs`.
 *
 * Not the global `fetch`: measured here against the bench's downstream stub (20 concurrent
 * callers, 6,000 calls, medians of 3 rounds), fetch cost the calling process about 280 µs of CPU
 * per call (WHATWG Request/Response/streams, an AbortSignal per call), this about 85 µs, the
 * undici package's own `request` about 50 µs. Not undici either: the tests fake HTTP APIs with
 * nock, which intercepts node:http and the global fetch but not a private undici dispatcher.
 */
export class KeepAliveGet {
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  readonly #timeoutMs: number;
  /**
   * Where every request goes, as request options worked out once: handed a URL, node:http converts
   * it on every call (`urlToHttpOptions` spreads the URL's getters), 2–3 µs of each profile page's
   * CPU in the bench's profile.
   */
  readonly #target: { protocol: string; hostname: string; port: string; path: string };

  constructor(url: URL, timeoutMs: number) {
    const https = url.protocol === 'https:';
    this.#agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.#request = https ? httpsRequest : httpRequest;
    this.#timeoutMs = timeoutMs;
    // An IPv6 literal comes bracketed in URL.hostname; node:http wants it bare.
    this.#target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port, path: `${url.pathname}${url.search}` };
  }

  /**
   * GET the URL this was made for, within `timeoutMs` in all. Sent again, once, on a new connection,
   * when it failed on a kept-alive connection before any answer came: the server (or a load
   * balancer before it) closed that connection while it lay idle here, as the request went out.
   * Node's agent drops an idle connection in time only when the server announces its timeout in a
   * `Keep-Alive` header, and many do not; a GET is safe to send again (RFC 9110 §9.2.2), as Node's
   * own documentation does for `request.reusedSocket`
   * (https://nodejs.org/api/http.html#requestreusedsocket).
   */
  get(headers: Record<string, string>): Promise<GetResponse> {
    return this.#attempt(headers, Date.now() + this.#timeoutMs, this.#agent);
  }

  /** `agent`: the pool, or `false` for the one retry: a connection of its own, not the pool's next idle one, which may be closed too. */
  #attempt(headers: Record<string, string>, deadlineAt: number, agent: HttpAgent | false): Promise<GetResponse> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const request = this.#request({ ...this.#target, agent, headers }, (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_BODY_BYTES) return request.destroy(new Error(`answered with a body over ${MAX_BODY_BYTES} bytes`));
          chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', fail);
      });
      // One deadline for the whole exchange: connect, headers and every byte of the body, sent again or not.
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error(`timed out after ${this.#timeoutMs} ms`));
      }, Math.max(deadlineAt - Date.now(), 0));
      const fail = (error: Error) => {
        clearTimeout(deadline);
        if (request.reusedSocket && !answered && !timedOut && isClosedConnection(error)) {
          return void this.#attempt(headers, deadlineAt, false).then(resolve, reject);
        }
        reject(error);
      };
      request.on('error', fail);
      request.end();
    });
  }

  /** Closes idle keep-alive sockets (on shutdown). */
  close(): void {
    this.#agent.destroy();
  }
}

/** A connection closed under a request: reset, or ended before an answer ("socket hang up" is ECONNRESET too). */
function isClosedConnection(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
