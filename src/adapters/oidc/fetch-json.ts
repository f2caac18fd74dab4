import { IdentityProviderUnavailable } from '../../domain/errors.ts';
import { AnswerTooLarge, boundedResponseText, MAX_PROVIDER_ANSWER_BYTES } from '../bounded-response-text.ts';
import { isSecureUrl } from './secure-url.ts';

/** Redirects followed at most for one document. */
const MAX_REDIRECTS = 5;

/**
 * GET a provider document (discovery, JWKS) as JSON, within `timeoutMs`. Anything but a 200 with
 * JSON is the provider being unavailable, never the user's fault: callers answer 503. Redirects
 * are followed by hand, each only if it stays on https (fetch itself would follow one to http and
 * send the request there), at most MAX_REDIRECTS; a body over MAX_PROVIDER_ANSWER_BYTES is not read further.
 */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let target = url;
  let response: Response;
  for (let redirects = 0; ; redirects++) {
    try {
      response = await fetch(target, { headers: { accept: 'application/json' }, redirect: 'manual', signal });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'failed';
      throw new IdentityProviderUnavailable(`GET ${url} ${reason}`, { cause: error });
    }
    const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null;
    if (location === null) break;
    await response.body?.cancel();
    const next = URL.parse(location, target)?.toString();
    if (next === undefined) throw new IdentityProviderUnavailable(`GET ${url} was redirected to an address that is not a URL`);
    // Never from https to http, not even to this machine; from http (a provider on localhost) to https or localhost.
    const downgrade = target.startsWith('https:') && !next.startsWith('https:');
    if (downgrade || !isSecureUrl(next)) throw new IdentityProviderUnavailable(`GET ${url} was redirected off https, to ${next}`);
    if (redirects >= MAX_REDIRECTS) throw new IdentityProviderUnavailable(`GET ${url} was redirected more than ${MAX_REDIRECTS} times`);
    target = next;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IdentityProviderUnavailable(`GET ${url} answered ${response.status}`);
  }
  const text = await boundedText(response, url);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new IdentityProviderUnavailable(`GET ${url} answered without JSON`, { cause: error });
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function boundedText(response: Response, url: string): Promise<string> {
  try {
    return await boundedResponseText(response, MAX_PROVIDER_ANSWER_BYTES);
  } catch (error) {
    if (error instanceof AnswerTooLarge) throw new IdentityProviderUnavailable(`GET ${url} answered with ${error.message}`, { cause: error });
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out while answering' : 'answered without JSON';
    throw new IdentityProviderUnavailable(`GET ${url} ${reason}`, { cause: error });
  }
}
