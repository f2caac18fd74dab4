import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { TlsClient } from './tls-client.ts';

/** MSAL's network seam over a fetch that trusts the dev CA (what NODE_EXTRA_CA_CERTS does for the app). */
export function msalNetworkClient(browser: TlsClient): INetworkModule {
  const send = async <T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    const response = await browser.fetch(url, { method, headers: options?.headers ?? {}, ...(method === 'POST' ? { body: options?.body ?? '' } : {}) });
    return { headers: Object.fromEntries(response.headers), body: (await response.json()) as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}
