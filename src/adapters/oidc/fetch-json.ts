import { IdentityProviderUnavailable } from '../../domain/errors.ts';
import { isSecureUrl } from './secure-url.ts';

/**
 * The most of a provider document that is read: discovery documents and key sets are a few KB
 * (Entra's key set about 10 KB); unbounded, a provider (or whatever answers in its place) could
 * make the app hold any amount in memory.
 */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * GET a provider document (discovery, JWKS) as JSON, within `timeoutMs`. Anything but a 200 with
 * JSON is the provider being unavailable, never the user's fault: callers answer 503. A redirect
 * is followed only while it stays on https (fetch alone would follow one to http), and a body
 * over MAX_DOCUMENT_BYTES is not read further.
 */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'failed';
    throw new IdentityProviderUnavailable(`GET ${url} ${reason}`, { cause: error });
  }
  if (response.redirected && !isSecureUrl(response.url)) {
    await response.body?.cancel();
    throw new IdentityProviderUnavailable(`GET ${url} was redirected off https, to ${response.url}`);
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

async function boundedText(response: Response, url: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for await (const chunk of response.body ?? []) {
      bytes += chunk.length;
      if (bytes > MAX_DOCUMENT_BYTES) {
        await response.body?.cancel().catch(() => {});
        throw new IdentityProviderUnavailable(`GET ${url} answered with more than ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof IdentityProviderUnavailable) throw error;
    throw new IdentityProviderUnavailable(`GET ${url} answered without JSON`, { cause: error });
  }
  return Buffer.concat(chunks).toString('utf8');
}
