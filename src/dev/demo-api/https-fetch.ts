import { request } from 'node:https';

/**
 * A fetch for jose's `customFetch` that trusts the given CA (the dev provider's self-signed
 * certificate) for this call only: the process-wide trust store and TLS verification stay as
 * they are. jose only sends GETs with headers and an abort signal, which is all this supports.
 */
export function fetchTrustingCa(ca: string | Buffer) {
  return (url: string, options: { headers: Headers; signal: AbortSignal }): Promise<Response> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', ca, headers: Object.fromEntries(options.headers), signal: options.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers }));
        });
      });
      req.on('error', reject);
      req.end();
    });
}
