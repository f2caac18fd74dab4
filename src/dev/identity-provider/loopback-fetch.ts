import { nodeHttpFetch } from '../node-http-fetch.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * oidc-provider's `fetch` option, relaxed for the dev provider only.
 *
 * oidc-provider sends its outgoing requests (here: back-channel logout POSTs) through an undici
 * dispatcher that refuses loopback and private addresses, against SSRF. Offline, every web app is
 * on localhost, so loopback URLs are sent with node:http(s) instead, which has no such guard; any
 * other URL keeps oidc-provider's guarded global fetch. Never use this in a provider reachable by
 * untrusted clients.
 */
export function loopbackFriendlyFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input);
  if (!LOOPBACK_HOSTS.has(url.hostname) || input instanceof Request) return fetch(input, init);
  return nodeHttpFetch(url, init);
}
