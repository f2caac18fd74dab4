import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * oidc-provider's `fetch` option, relaxed for the dev provider only.
 *
 * oidc-provider sends its outgoing requests (here: back-channel logout POSTs) through an undici
 * dispatcher that refuses loopback and private addresses, against SSRF. Offline, every web app is
 * on localhost, so loopback URLs are sent with node:http(s) instead, which has no such guard; any
 * other URL keeps oidc-provider's guarded global fetch. Never use this in a provider reachable by
 * untrusted clients.
 *
 * node:http rather than global fetch without the guard: test suites that load nock replace global
 * fetch process-wide, and its pass-through of allowed hosts loses request bodies ("unusable").
 */
export function loopbackFriendlyFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input);
  if (!LOOPBACK_HOSTS.has(url.hostname) || input instanceof Request) return fetch(input, init);
  return sendOverNodeHttp(url, init ?? {});
}

function sendOverNodeHttp(url: URL, init: RequestInit): Promise<Response> {
  const body = init.body == null ? undefined : String(init.body);
  const headers: Record<string, string> = Object.fromEntries(new Headers(init.headers));
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        // Response refuses a body for these statuses.
        const status = res.statusCode ?? 500;
        resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
