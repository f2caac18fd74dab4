import { request as httpRequest } from 'node:http';

/**
 * A scripted browser for in-process HTTP tests: keeps cookies, never follows redirects by itself
 * so each hop can be asserted.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  readonly #baseUrl: string;
  readonly #defaultHeaders: Record<string, string>;

  /** `defaultHeaders` go with every request (e.g. `X-Forwarded-Proto` as a TLS-terminating proxy sends it). */
  constructor(baseUrl: string, defaultHeaders: Record<string, string> = {}) {
    this.#baseUrl = baseUrl;
    this.#defaultHeaders = defaultHeaders;
  }

  async get(pathOrUrl: string, headers: Record<string, string> = {}): Promise<Page> {
    return this.#request('GET', pathOrUrl, undefined, headers);
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    return this.#request('POST', path, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      origin: new URL(this.#baseUrl).origin,
      ...headers,
    });
  }

  async #request(method: string, pathOrUrl: string, body: string | undefined, headers: Record<string, string>): Promise<Page> {
    const url = new URL(pathOrUrl, this.#baseUrl);
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await send(url, method, body, { accept: 'text/html', ...this.#defaultHeaders, ...(cookie ? { cookie } : {}), ...headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { ...response, location: response.headers.get('location') ?? undefined };
  }
}

/**
 * node:http rather than fetch: nock's fetch interception cannot pass a POST body through to a
 * real loopback server ("Request.clone: unusable").
 */
function send(url: URL, method: string, body: string | undefined, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Headers; text: string }>((resolve, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const item of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, item);
        }
        resolve({ status: response.statusCode ?? 0, headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

export interface Page {
  readonly status: number;
  readonly headers: Headers;
  readonly location?: string;
  readonly text: string;
}

/** The hidden CSRF field of the sign-out form. */
export function csrfFrom(page: Page): string {
  const match = page.text.match(/name="_csrf" value="([^"]+)"/);
  if (!match) throw new Error('no CSRF field on the page');
  return match[1]!;
}
