import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/** The provider could not be reached, timed out, did not answer JSON, or failed a token request without saying why. */
export class ProviderUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnreachable';
  }
}

/**
 * MSAL's network seam on Node's global `fetch`, with a timeout on EVERY request: msal-node's own
 * client passes no timeout to its POSTs, token requests included
 * (https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-node/src/network/HttpClient.ts),
 * so a slow provider would hang a page forever.
 * TLS is Node's default: a self-signed dev provider is trusted through NODE_EXTRA_CA_CERTS, never by
 * turning verification off.
 */
export class FetchNetworkClient implements INetworkModule {
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'GET', options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>(url, 'POST', options, undefined);
  }

  async #send<T>(
    url: string,
    method: 'GET' | 'POST',
    options: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ): Promise<NetworkResponse<T>> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: options?.headers,
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        signal: AbortSignal.timeout(Math.min(timeout ?? this.#timeoutMs, this.#timeoutMs)),
      });
    } catch (error) {
      throw new ProviderUnreachable(`${method} ${new URL(url).origin} failed: ${describe(error)}`, { cause: error });
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => (headers[key] = value));
    let body: T;
    try {
      body = (await response.json()) as T;
    } catch (error) {
      throw new ProviderUnreachable(`${method} ${new URL(url).origin} answered ${response.status} without JSON`, { cause: error });
    }
    // A failed token request that is not an OAuth error answer (RFC 6749 §5.2: `error` is required),
    // such as a gateway's `{"message":"Service Unavailable"}`: MSAL reads only `error` to tell a
    // failure, takes anything else for a token response, and then reports the missing ID token as a
    // nonce mismatch (msal-common ResponseHandler.validateTokenResponse), a refused sign-in where the
    // provider is failing.
    if (method === 'POST' && !response.ok && !hasOAuthError(body)) {
      throw new ProviderUnreachable(`${method} ${new URL(url).origin} answered ${response.status} without an OAuth error`);
    }
    return { headers, body, status: response.status };
  }
}

function hasOAuthError(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string';
}

function describe(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return error instanceof Error ? error.message : String(error);
}
