import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A small `fetch` on node:http(s), for the two places the dev world cannot use global fetch:
 * - a request that must trust the dev provider's self-signed certificate (`ca`) for this call only,
 *   leaving the process-wide trust store and TLS verification as they are (jose's `customFetch`);
 * - a request to loopback that oidc-provider's guarded fetch refuses (see loopback-fetch.ts).
 * Also: test suites that load nock replace global fetch process-wide, and its pass-through of
 * allowed hosts loses request bodies ("unusable"). nock intercepts node:http too, but passes a
 * request to an allowed host (loopback here) through with its body intact.
 * It sends a string body or none, and answers with the status, headers and body.
 */
export function nodeHttpFetch(url: URL | string, init: RequestInit = {}, options: { ca?: string | Buffer } = {}): Promise<Response> {
  const target = new URL(url);
  const body = init.body == null ? undefined : String(init.body);
  const headers: Record<string, string> = Object.fromEntries(new Headers(init.headers));
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: init.method ?? 'GET', headers, ...(options.ca ? { ca: options.ca } : {}), ...(init.signal ? { signal: init.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
          const status = res.statusCode ?? 500;
          // Response refuses a body for these statuses.
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** jose's `customFetch` trusting `ca` (the dev provider's certificate) for its JWKS requests only. */
export function fetchTrustingCa(ca: string | Buffer) {
  return (url: string, options: { headers: Headers; signal: AbortSignal }): Promise<Response> =>
    nodeHttpFetch(url, { headers: options.headers, signal: options.signal }, { ca });
}
