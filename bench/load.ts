import autocannon from 'autocannon';

export interface LoadResult {
  readonly requestsPerSecond: number;
  /** Responses received in all (what the CPU used over the run is divided by). */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Responses whose page shows another user's API data than the session's user. */
  readonly mismatches: number;
  readonly checked: number;
}

/**
 * Drives `path` for `seconds` with autocannon. With `cookies`, request n carries cookie
 * n mod cookies.length and its answer must show the profile of that cookie's user (`expect`).
 */
export async function load(options: {
  url: string;
  path: string;
  seconds: number;
  connections: number;
  cookies?: readonly string[];
  expect?: (cookieIndex: number) => string;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
}): Promise<LoadResult> {
  let next = 0;
  let mismatches = 0;
  let checked = 0;
  const result = await autocannon({
    url: options.url,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    connections: options.connections,
    pipelining: 1,
    requests: [
      {
        method: 'GET',
        path: options.path,
        setupRequest: (request, context) => {
          if (!options.cookies) return request;
          const index = next++ % options.cookies.length;
          (context as { index?: number }).index = index;
          return { ...request, headers: { ...request.headers, cookie: options.cookies[index]! } };
        },
        onResponse: (status, body, context) => {
          if (!options.expect || status !== 200) return;
          checked++;
          if (!body.includes(options.expect((context as { index: number }).index))) mismatches++;
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    mismatches,
    checked,
  };
}
