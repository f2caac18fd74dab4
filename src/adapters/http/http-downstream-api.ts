import { ApiChallenge, DownstreamApiUnavailable } from '../../domain/errors.ts';
import type { DownstreamApi } from '../../ports/downstream-api.port.ts';
import { parseClaimsChallenge } from './www-authenticate.ts';

/** DownstreamApi over HTTP: GET `apiUrl` with the user's bearer token, bounded by a timeout. */
export class HttpDownstreamApi implements DownstreamApi {
  readonly #apiUrl: string;
  readonly #timeoutMs: number;

  constructor(deps: { apiUrl: string; httpTimeoutMs: number }) {
    this.#apiUrl = deps.apiUrl;
    this.#timeoutMs = deps.httpTimeoutMs;
  }

  async get(accessToken: string): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.#apiUrl, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new DownstreamApiUnavailable(`GET ${new URL(this.#apiUrl).origin} failed`, { cause: error });
    }
    if (response.status === 401) {
      await response.body?.cancel();
      throw new ApiChallenge(parseClaimsChallenge(response.headers.get('www-authenticate')));
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownstreamApiUnavailable(`GET ${new URL(this.#apiUrl).origin} answered ${response.status}`);
    }
    try {
      return await response.json();
    } catch (error) {
      throw new DownstreamApiUnavailable(`GET ${new URL(this.#apiUrl).origin} answered without JSON`, { cause: error });
    }
  }
}
