import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { rawTextHeaders } from './raw-text-answer.ts';

/**
 * Two refusals Node's HTTP server writes itself, bare (a status line and nothing else: no sentence,
 * no `no-store`, no HSTS), answered here as every refusal written past the app (raw-text-answer.ts):
 * - an HTTP/1.1 request without `Host`, which RFC 9112 §3.2 makes a 400: Node's own check
 *   (`requireHostHeader`, https://github.com/nodejs/node/blob/v24.x/lib/_http_server.js) must be
 *   turned off where the server is made for this one to run (server.ts);
 * - an `Expect` other than `100-continue`, which RFC 9110 §10.1.1 makes a 417: Node writes its own
 *   unless the server has a `'checkExpectation'` listener.
 */
export function withHostRequired(handler: RequestListener, options: { https: boolean }): RequestListener {
  return (request, response) => {
    if (request.httpVersionMajor === 1 && request.httpVersionMinor === 1 && request.headers.host === undefined) {
      refuse(response, 400, 'This request names no Host, which HTTP/1.1 requires.', options);
      return;
    }
    handler(request, response);
  };
}

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
