import { ApiChallenge, ApiForbidden, DownstreamApiUnavailable } from '../../domain/errors.ts';
import type { DownstreamApi } from '../../ports/downstream-api.port.ts';
import { KeepAliveGet, type GetResponse } from './keep-alive-get.ts';
import { parseClaimsChallenge } from './www-authenticate.ts';

/** DownstreamApi over HTTP: GET `apiUrl` with the user's bearer token, bounded by a timeout. */
export class HttpDownstreamApi implements DownstreamApi {
  readonly #apiUrl: URL;
  readonly #http: KeepAliveGet;

  constructor(deps: { apiUrl: string; httpTimeoutMs: number }) {
    this.#apiUrl = new URL(deps.apiUrl);
    this.#http = new KeepAliveGet(this.#apiUrl, deps.httpTimeoutMs);
  }

  async get(accessToken: string): Promise<unknown> {
    let response: GetResponse;
    try {
      response = await this.#http.get({ authorization: `Bearer ${accessToken}`, accept: 'application/json' });
    } catch (error) {
      throw new DownstreamApiUnavailable(`GET ${this.#apiUrl.origin} failed`, { cause: error });
    }
    if (response.status === 401) {
      const challenge = response.headers['www-authenticate'];
      throw new ApiChallenge(parseClaimsChallenge(Array.isArray(challenge) ? challenge.join(', ') : (challenge ?? null)));
    }
    if (response.status === 403) {
      const challenge = response.headers['www-authenticate'];
      throw new ApiForbidden(`GET ${this.#apiUrl.origin} answered 403${challenge ? `: ${String(challenge).slice(0, 300)}` : ''}`);
    }
    if (response.status < 200 || response.status > 299) {
      throw new DownstreamApiUnavailable(`GET ${this.#apiUrl.origin} answered ${response.status}`);
    }
    try {
      return JSON.parse(response.body);
    } catch (error) {
      throw new DownstreamApiUnavailable(`GET ${this.#apiUrl.origin} answered without JSON`, { cause: error });
    }
  }

  /** Closes idle keep-alive connections (the container disposes of it on shutdown). */
  close(): void {
    this.#http.close();
  }
}
