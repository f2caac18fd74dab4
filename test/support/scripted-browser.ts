import { Agent, request } from 'undici';

/** One answer, as the browser received it. */
export interface Page {
  /** The absolute URL that was requested. */
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The `Location` header exactly as the server sent it (often relative, e.g. `/profile`). */
  readonly location: string | undefined;
  /** `location` resolved against `url`: where a browser following the redirect goes, across sites too. */
  readonly redirectUrl: string | undefined;
}

export interface ScriptedBrowserOptions {
  /** Where relative paths lead (an in-process app); absolute URLs always go where they say. */
  readonly baseUrl?: string;
  /** A CA certificate (PEM) to trust over https, e.g. the dev provider's; verification stays on. */
  readonly ca?: string;
  /** Sent with every request, e.g. the `X-Forwarded-Proto` a TLS-terminating proxy adds. */
  readonly headers?: Record<string, string>;
  /**
   * The browser talks https to a TLS-terminating proxy that forwards plain http to the app: its
   * `Secure` cookies are sent over these http requests, as the real browser sends them over https.
   */
  readonly behindTlsProxy?: boolean;
}

export interface RequestOptions {
  /** For this request only; they win over the default ones. */
  readonly headers?: Record<string, string>;
  /** Sends no cookie and keeps none, as a browser blocking third-party cookies does for a cross-site iframe. */
  readonly withoutCookies?: boolean;
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
 * A scripted browser over real HTTP(S), for in-process apps and the dev stack alike. It never
 * follows a redirect by itself, so each hop can be looked at. It keeps one cookie jar for every site
 * it visits, keyed as a browser keys it (RFC 6265): host-only cookies per host name, not per port;
 * path prefix; `Secure` sent only over https; `Expires`/`Max-Age`; a cookie is dropped by an
 * expired one or an empty value of the same name.
 *
 * Transport: the `undici` package's `request` through this browser's own `Agent`. nock, which
 * suites of the same mocha process load, replaces global fetch (its interceptor fails loopback
 * POSTs with a body: "Request.clone: unusable") and patches node:http(s); the undici package's
 * dispatcher is neither, so the browser behaves the same whichever suites loaded nock, and a
 * blocked network (`nock.disableNetConnect`) cannot stop it. That is safe because no test has nock
 * answer the browser's own requests: it only ever talks to real loopback servers. The Agent trusts
 * `ca` over TLS with verification on, and `request` (unlike fetch) adds no headers of its own
 * (user-agent, sec-fetch-mode, accept-encoding), so the server sees only what the test sends.
 */
export class ScriptedBrowser {
  #dispatcher: Agent;
  #cookies: Cookie[] = [];

  readonly #baseUrl: string | undefined;
  readonly #ca: string | undefined;
  readonly #defaultHeaders: Record<string, string>;
  readonly #behindTlsProxy: boolean;

  constructor(options: ScriptedBrowserOptions = {}) {
    this.#baseUrl = options.baseUrl;
    this.#ca = options.ca;
    this.#defaultHeaders = options.headers ?? {};
    this.#behindTlsProxy = options.behindTlsProxy ?? false;
    this.#dispatcher = this.#newAgent();
  }

  get(url: string, options: RequestOptions = {}): Promise<Page> {
    return this.#send('GET', url, undefined, options);
  }

  /**
   * Submits `form` URL-encoded; an array value sends the field once per item. A browser with a base
   * URL sends the `Origin` of that base, as a form on the app's own pages does (the app's CSRF
   * check looks at it); `headers: { origin: ... }` sends another, `origin: ''` an empty one (as a
   * provider's server-to-server POST, which has none).
   */
  post(url: string, form: Record<string, string | readonly string[]>, options: RequestOptions = {}): Promise<Page> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const item of [value].flat()) body.append(key, item);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      ...(this.#baseUrl ? { origin: new URL(this.#baseUrl).origin } : {}),
      ...options.headers,
    };
    return this.#send('POST', url, body.toString(), { ...options, headers });
  }

  /** The value of the cookie `name` this browser would send to `url` (by default its base URL). */
  cookie(name: string, url?: string): string | undefined {
    return this.#matching(this.#resolve(url ?? '/')).find((cookie) => cookie.name === name)?.value;
  }

  /** Names of the cookies this browser would send to `url` (by default its base URL). */
  cookieNamesFor(url?: string): string[] {
    return this.#matching(this.#resolve(url ?? '/')).map((cookie) => cookie.name);
  }

  /**
   * Puts `name=value` in the jar as a host-only cookie for `url`'s host (by default the base URL's)
   * with `Path=/`, replacing one of that name there: a cookie the test forges or tampers with.
   */
  setCookie(name: string, value: string, url?: string): void {
    const host = this.#resolve(url ?? '/').hostname;
    this.#cookies = this.#cookies.filter((cookie) => !(cookie.name === name && cookie.host === host && cookie.path === '/'));
    this.#cookies.push({ name, value, host, path: '/', secure: false, expiresAt: undefined });
  }

  /** Removes every cookie `name` this browser would send to `url` (by default its base URL). */
  deleteCookie(name: string, url?: string): void {
    const doomed = new Set(this.#matching(this.#resolve(url ?? '/')).filter((cookie) => cookie.name === name));
    this.#cookies = this.#cookies.filter((cookie) => !doomed.has(cookie));
  }

  /**
   * Copies every cookie of `other` into this jar, replacing same-named ones: the same person's
   * browser reaching another instance (another port of the same host) behind a load balancer.
   */
  copyCookiesFrom(other: ScriptedBrowser): void {
    for (const copy of other.#cookies) {
      this.#cookies = this.#cookies.filter((cookie) => !(cookie.name === copy.name && cookie.host === copy.host && cookie.path === copy.path));
      this.#cookies.push(copy);
    }
  }

  /** Drops open connections (e.g. to servers that were restarted); the cookie jar is kept. */
  async reconnect(): Promise<void> {
    await this.#dispatcher.close();
    this.#dispatcher = this.#newAgent();
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  #newAgent(): Agent {
    return new Agent(this.#ca === undefined ? {} : { connect: { ca: this.#ca } });
  }

  #resolve(url: string): URL {
    if (!this.#baseUrl && !URL.canParse(url)) throw new Error(`${url} is not absolute and this browser has no base URL`);
    return new URL(url, this.#baseUrl);
  }

  async #send(method: string, url: string, body: string | undefined, options: RequestOptions): Promise<Page> {
    const target = this.#resolve(url);
    const withoutCookies = options.withoutCookies ?? false;
    const cookie = withoutCookies ? '' : this.#matching(target).map(({ name, value }) => `${name}=${value}`).join('; ');
    const response = await request(target, {
      method,
      body,
      dispatcher: this.#dispatcher,
      // A navigation's Accept, so the app answers with its HTML pages (errors too).
      headers: { accept: 'text/html', ...this.#defaultHeaders, ...(cookie ? { cookie } : {}), ...options.headers },
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const item of [value ?? []].flat()) headers.append(name, item);
    }
    const text = await response.body.text();
    if (!withoutCookies) for (const line of headers.getSetCookie()) this.#store(target, line);
    const location = headers.get('location') ?? undefined;
    return {
      url: target.href,
      status: response.statusCode,
      headers,
      text,
      location,
      redirectUrl: location ? new URL(location, target).href : undefined,
    };
  }

  #matching(url: URL): Cookie[] {
    const now = Date.now();
    this.#cookies = this.#cookies.filter((cookie) => cookie.expiresAt === undefined || cookie.expiresAt > now);
    const secureChannel = url.protocol === 'https:' || this.#behindTlsProxy;
    return this.#cookies
      .filter((cookie) => cookie.host === url.hostname && pathMatches(url.pathname, cookie.path) && (!cookie.secure || secureChannel))
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
    if (value === '' || (expiresAt !== undefined && expiresAt <= Date.now())) return;
    this.#cookies.push({ name, value, host: url.hostname, path, secure, expiresAt });
  }
}

/** The hidden CSRF field of an app page's forms (the sign-out form, the sessions page). */
export function csrfFrom(page: Page): string {
  const match = page.text.match(/name="_csrf" value="([^"]+)"/);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1]!;
}

/** RFC 6265 5.1.4: whether `requestPath` is within `cookiePath`. */
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
