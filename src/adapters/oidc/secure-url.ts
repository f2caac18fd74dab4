/**
 * Whether tokens, keys and secrets may travel to or from `url`: https, or http to this machine
 * only (a development provider or a test's). OpenID Connect Discovery 1.0 §3 requires https for
 * the endpoints and the key set, RFC 7009 §2 for the revocation endpoint: over http, anyone on the
 * way could swap the keys (and forge every token) or read the client secret and refresh tokens.
 */
export function isSecureUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && isLoopbackHostname(parsed.hostname);
}

/** A host name (as `URL.hostname` gives it) that names this machine: `localhost`, `*.localhost`, `127.0.0.1`, `[::1]`. */
export function isLoopbackHostname(hostname: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(hostname) || hostname.endsWith('.localhost');
}
