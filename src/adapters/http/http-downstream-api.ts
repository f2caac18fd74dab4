import { ApiChallenge, ApiForbidden, DownstreamApiBusy, DownstreamApiUnavailable } from '../../domain/errors.ts';
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
    if (response.status === 429 || response.status === 503) {
      throw new DownstreamApiBusy(`GET ${this.#apiUrl.origin} answered ${response.status}`, retryAfterSeconds(response.headers['retry-after']));
    }
    if (response.status < 200 || response.status > 299) {
      throw new DownstreamApiUnavailable(`GET ${this.#apiUrl.origin} answered ${response.status}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      // Without JSON.parse's error: its message quotes the answer's first characters (the user's data).
      throw new DownstreamApiUnavailable(`GET ${this.#apiUrl.origin} answered without JSON`);
    }
    if (!withinDepth(parsed, MAX_JSON_DEPTH)) {
      throw new DownstreamApiUnavailable(`GET ${this.#apiUrl.origin} answered JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    return parsed;
  }

  /** Closes idle keep-alive connections (the container disposes of it on shutdown). */
  close(): void {
    this.#http.close();
  }
}

/**
 * RFC 9110 §5.6.7's HTTP-date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete
 * RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms.
 */
const HTTP_DATE = new RegExp(
  [
    '^[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$',
    '^[A-Z][a-z]{5,8}, \\d{2}-[A-Z][a-z]{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$',
    '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$',
  ].join('|'),
);

/** The longest wait passed on: an API asking for more is asked again sooner, by the user. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * The seconds a `Retry-After` header asks to wait (RFC 9110 §10.2.3: delay-seconds or an HTTP
 * date), at most MAX_RETRY_AFTER_SECONDS; `undefined` without one, or for one that is neither.
 */
export function retryAfterSeconds(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  // Date.parse alone reads far more than HTTP dates (`-5`, `Jan 1 2031`): only their three forms go to it.
  const seconds = /^\d+$/.test(value) ? Number(value) : HTTP_DATE.test(value) ? Math.ceil((Date.parse(value) - now) / 1000) : NaN;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}

/**
 * How deep the API's JSON may nest. JSON.parse reads any depth, but what shows it (the profile page
 * writes nested values with JSON.stringify, which recurses) overflows the stack on a few thousand
 * levels: a page error for the API's bad answer. Graph's objects nest two or three levels.
 */
const MAX_JSON_DEPTH = 64;

/** Whether `value` nests at most `maxDepth` arrays or objects deep; walked without recursion. */
function withinDepth(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= maxDepth) return false;
    for (const child of Object.values(item)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return true;
}
