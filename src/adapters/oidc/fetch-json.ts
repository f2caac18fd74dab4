import { IdentityProviderUnavailable } from '../../domain/errors.ts';

/**
 * GET a provider document (discovery, JWKS) as JSON, within `timeoutMs`. Anything but a 200 with
 * JSON is the provider being unavailable, never the user's fault: callers answer 503.
 */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'failed';
    throw new IdentityProviderUnavailable(`GET ${url} ${reason}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IdentityProviderUnavailable(`GET ${url} answered ${response.status}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new IdentityProviderUnavailable(`GET ${url} answered without JSON`, { cause: error });
  }
}
