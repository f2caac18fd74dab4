import { Agent, fetch as undiciFetch } from 'undici';
import type { RequestInit as UndiciRequestInit } from 'undici';

export interface PageResponse {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
  readonly headers: Headers;
}

/**
 * A scripted browser for the dev provider: fetch over HTTPS that trusts only the dev CA (no TLS
 * bypass), never follows redirects by itself, and keeps cookies by name the way a single browser
 * tab would (paths and ports ignored: one flow at a time, one provider).
 *
 * It uses the undici package's fetch, not the global one: other suites load nock, whose fetch
 * interceptor replaces global fetch process-wide and cannot clone these requests ("unusable").
 */
export class TlsClient {
  readonly #dispatcher: Agent;
  readonly #cookies = new Map<string, string>();

  constructor(ca: string) {
    this.#dispatcher = new Agent({ connect: { ca } });
  }

  get(url: string): Promise<PageResponse> {
    return this.#send(url, { method: 'GET' });
  }

  post(url: string, form: Record<string, string | string[]>): Promise<PageResponse> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const item of [value].flat()) body.append(key, item);
    return this.#send(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** Fetch with this client's CA, for calls that are not part of the browser flow (token endpoint). */
  fetch(url: string, init: RequestInit = {}): Promise<Response> {
    return undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher: this.#dispatcher }) as unknown as Promise<Response>;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #send(url: string, init: RequestInit): Promise<PageResponse> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string> | undefined), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) this.#store(line);
    const location = response.headers.get('location');
    return { status: response.status, location: location ? new URL(location, url).href : undefined, body: await response.text(), headers: response.headers };
  }

  #store(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const name = pair.slice(0, pair.indexOf('=')).trim();
    const value = pair.slice(pair.indexOf('=') + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', val = ''] = attribute.trim().split('=');
      return (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) || (key.toLowerCase() === 'max-age' && Number(val) <= 0);
    });
    if (expired || value === '') this.#cookies.delete(name);
    else this.#cookies.set(name, value);
  }
}
