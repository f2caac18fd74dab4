import { STRICT_TRANSPORT_SECURITY } from './middleware/security-headers.ts';

/**
 * A whole answer, written straight to a socket, for what never reaches the app (a request Node's
 * HTTP parser refused, a CONNECT): one sentence of plain text, not to be stored, nothing in it that
 * could run, the connection closed, and, when PUBLIC_URL is https, HSTS as on every other answer
 * the app gives on PORT.
 */
export function rawTextAnswer(status: string, text: string, options: { https: boolean }): string {
  const body = `${text}\n`;
  const headers = Object.entries(rawTextHeaders(body, options)).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status}\r\n${headers.join('')}\r\n${body}`;
}

/** The same answer's headers, for `body`, where Node's server writes the status line. */
export function rawTextHeaders(body: string, options: { https: boolean }): Record<string, string> {
  return {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache, no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    ...(options.https ? { 'Strict-Transport-Security': STRICT_TRANSPORT_SECURITY } : {}),
    Connection: 'close',
    'Content-Length': String(Buffer.byteLength(body)),
  };
}
