import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { rawTextHeaders } from './raw-text-answer.ts';

/**
 * Refusals of a request's `Host` and `Expect` that Node's HTTP server writes itself, bare (a status
 * line and nothing else: no sentence, no `no-store`, no HSTS), or not at all, answered here as every
 * refusal written past the app (raw-text-answer.ts):
 * - an HTTP/1.1 request without `Host`, which RFC 9112 §3.2 makes a 400: Node's own check
 *   (`requireHostHeader`, https://github.com/nodejs/node/blob/v24.x/lib/_http_server.js) must be
 *   turned off where the server is made for this one to run (server.ts). The same section makes a
 *   400 of the two cases Node lets through: more than one `Host` line (Node keeps the first in
 *   `headers.host` and drops the rest) and a `Host` that is no `uri-host [":" port]` (spaces, `/`,
 *   `@`, a bracket left open). The app reads no `Host` (its origin is PUBLIC_URL), so this is the
 *   protocol's rule, not a defence;
 * - an `Expect` other than `100-continue`, which RFC 9110 §10.1.1 makes a 417: Node writes its own
 *   unless the server has a `'checkExpectation'` listener.
 */
export function withHostChecked(handler: RequestListener, options: { https: boolean }): RequestListener {
  return (request, response) => {
    const refusal = hostRefusal(request);
    if (refusal) refuse(response, 400, refusal, options);
    else handler(request, response);
  };
}

function hostRefusal(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  if (host === undefined) {
    return request.httpVersionMajor === 1 && request.httpVersionMinor === 1 ? 'This request names no Host, which HTTP/1.1 requires.' : undefined;
  }
  let lines = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.length === 4 && request.rawHeaders[i]!.toLowerCase() === 'host') lines += 1;
  }
  if (lines > 1) return 'This request names more than one Host, which HTTP allows once.';
  return validHost(host) ? undefined : 'This request\'s Host is not a host name with an optional port.';
}

/** RFC 9110 §7.2 / RFC 3986 §3.2.2: `uri-host [":" port]`; empty is allowed (a target without authority). */
function validHost(value: string): boolean {
  let rest = value;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return false;
    const literal = value.slice(1, end);
    if (!isIPv6(literal) && !IP_FUTURE.test(literal)) return false;
    rest = value.slice(end + 1);
    return rest === '' || PORT.test(rest);
  }
  const colon = value.indexOf(':');
  return REG_NAME.test(colon < 0 ? value : value.slice(0, colon)) && (colon < 0 || PORT.test(value.slice(colon)));
}

/** reg-name (IPv4 addresses included): unreserved, percent-encoded and sub-delims characters. */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const IP_FUTURE = /^v[0-9A-F]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/i; // RFC 3986 §3.2.2: "v" in either case
const PORT = /^:[0-9]*$/;

/** Answers an `Expect` the server does not meet (see above). */
export function answerUnmetExpectations(server: Server, options: { https: boolean }): void {
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    refuse(response, 417, 'This server meets no expectation but 100-continue.', options);
  });
}

function refuse(response: ServerResponse, status: number, text: string, options: { https: boolean }): void {
  const body = `${text}\n`;
  response.writeHead(status, rawTextHeaders(body, options)).end(body);
}
