import { Agent, fetch as undiciFetch } from 'undici';

export interface Page {
  readonly url: string;
  readonly status: number;
  /** Absolute URL of a redirect, if any. */
  readonly location: string | undefined;
  readonly headers: Headers;
  readonly body: string;
}

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly host: string;
  readonly path: string;
  readonly secure: boolean;
  readonly expiresAt: number | undefined;
}

/**
 * A scripted browser over real HTTP(S): one cookie jar for every site it visits, keyed as a browser
 * keys it (host-only cookies per host name, not per port; path prefix; `Secure` only over https;
 * expiry), redirects never followed by itself so each hop can be looked at.
 *
 * The `undici` package's fetch, not the global one: other suites load nock, whose interceptor
 * replaces global fetch and fails loopback POSTs with a body ("Request.clone: unusable"). The dev
 * provider's certificate is trusted through `ca`; TLS verification stays on.
 */
export class Browser {
  #dispatcher: Agent;
  #cookies: Cookie[] = [];

  readonly #ca: string;

  constructor(ca: string) {
    this.#ca = ca;
    this.#dispatcher = new Agent({ connect: { ca } });
  }

  /**
   * `withoutCookies`: sends none and keeps none, as a browser blocking third-party cookies does
   * for a cross-site iframe.
   */
  get(url: string, options: { withoutCookies?: boolean } = {}): Promise<Page> {
    return this.#send(url, { method: 'GET' }, options.withoutCookies ?? false);
  }

  post(url: string, form: Record<string, string | readonly string[]>, headers: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const item of [value].flat()) body.append(key, item);
    return this.#send(url, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, false);
  }

  /** Names of the cookies this browser would send to `url`. */
  cookieNamesFor(url: string): string[] {
    return this.#matching(new URL(url)).map((cookie) => cookie.name);
  }

  /** Drops open connections (e.g. to servers that were restarted); the cookie jar is kept. */
  async reconnect(): Promise<void> {
    await this.#dispatcher.close();
    this.#dispatcher = new Agent({ connect: { ca: this.#ca } });
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #send(url: string, init: { method: string; body?: string; headers?: Record<string, string> }, withoutCookies: boolean): Promise<Page> {
    const target = new URL(url);
    const cookie = withoutCookies ? '' : this.#matching(target).map(({ name, value }) => `${name}=${value}`).join('; ');
    const response = await undiciFetch(target, {
      ...init,
      redirect: 'manual',
      dispatcher: this.#dispatcher,
      headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
    });
    if (!withoutCookies) for (const line of response.headers.getSetCookie()) this.#store(target, line);
    const location = response.headers.get('location');
    return {
      url: target.href,
      status: response.status,
      location: location ? new URL(location, target).href : undefined,
      headers: response.headers as unknown as Headers,
      body: await response.text(),
    };
  }

  #matching(url: URL): Cookie[] {
    const now = Date.now();
    this.#cookies = this.#cookies.filter((cookie) => cookie.expiresAt === undefined || cookie.expiresAt > now);
    return this.#cookies
      .filter((cookie) => cookie.host === url.hostname && pathMatches(url.pathname, cookie.path) && (!cookie.secure || url.protocol === 'https:'))
      .sort((a, b) => b.path.length - a.path.length);
  }

  #store(url: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const name = pair.slice(0, pair.indexOf('=')).trim();
    const value = pair.slice(pair.indexOf('=') + 1).trim();
    let path = defaultPath(url.pathname);
    let secure = false;
    let expiresAt: number | undefined;
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.trim().split('=');
      const val = rest.join('=');
      switch (key.toLowerCase()) {
        case 'path': if (val.startsWith('/')) path = val; break;
        case 'secure': secure = true; break;
        case 'expires': expiresAt ??= Date.parse(val); break;
        case 'max-age': expiresAt = Date.now() + Number(val) * 1000; break;
      }
    }
    this.#cookies = this.#cookies.filter((cookie) => !(cookie.name === name && cookie.host === url.hostname && cookie.path === path));
    if (expiresAt !== undefined && expiresAt <= Date.now()) return;
    this.#cookies.push({ name, value, host: url.hostname, path, secure, expiresAt });
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 5.1.4: the directory of the request path. */
function defaultPath(requestPath: string): string {
  const slash = requestPath.lastIndexOf('/');
  return slash <= 0 ? '/' : requestPath.slice(0, slash);
}
