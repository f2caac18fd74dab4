import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { nodeHttpFetch } from '../../../src/dev/node-http-fetch.ts';

/**
 * MSAL's network seam over a fetch that trusts the dev CA `ca` for MSAL's calls only (what
 * NODE_EXTRA_CA_CERTS does for the app); the app's server calls, so no browser and no cookies.
 */
export function msalNetworkClient(ca: string): INetworkModule {
  const send = async <T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const response = await nodeHttpFetch(url, { method, headers: options?.headers ?? {}, ...(method === 'POST' ? { body: options?.body ?? '' } : {}) }, { ca });
    return { headers: Object.fromEntries(response.headers), body: (await response.json()) as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}
