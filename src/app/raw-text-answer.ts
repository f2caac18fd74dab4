import { STRICT_TRANSPORT_SECURITY } from './middleware/security-headers.ts';

/**
 * A whole answer, written straight to a socket, for what never reaches the app (a request Node's
 * HTTP parser refused, a CONNECT): one sentence of plain text, not to be stored, nothing in it that
 * could run, the connection closed, and, when PUBLIC_URL is https, HSTS as on every other answer
 * the app gives on PORT.
 */
export function rawTextAnswer(status: string, text: string, options: { https: boolean }): string {
  const body = `${text}\n`;
  return (
    `HTTP/1.1 ${status}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Cache-Control: no-cache, no-store\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n" +
    (options.https ? `Strict-Transport-Security: ${STRICT_TRANSPORT_SECURITY}\r\n` : '') +
    'Connection: close\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
