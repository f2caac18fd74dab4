import { load, type LoadResult } from './load.ts';
import { processCpuMicros } from './process-cpu.ts';
import { median } from './stats.ts';

/** One route to load: where it is served and by which process (whose CPU is counted). */
export interface Route {
  readonly name: string;
  readonly url: string;
  readonly path: string;
  readonly pid: number;
  readonly cookies?: readonly string[];
  readonly expect?: (cookieIndex: number) => string;
}

export interface RouteRun extends LoadResult {
  /** CPU the serving process used over the run, divided by the responses received. */
  readonly cpuMicrosPerRequest: number;
}

export interface RouteFigures {
  readonly runs: readonly RouteRun[];
  readonly cpuMicrosPerRequest: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Loads each route in turn, `rounds` times after `uncountedRounds` (route A, B, C, A, B, C, ...), so a change in how busy
 * the machine is touches every route alike, and reports medians. The CPU figure is the serving
 * process's utime + stime from /proc over the run, divided by the responses it sent.
 */
export async function measureRoutes(
  routes: readonly Route[],
  options: { rounds: number; seconds: number; connections: number; uncountedRounds?: number },
): Promise<Record<string, RouteFigures>> {
  // Warm-up by count, not time: on a busy machine one second may be a few hundred requests, not
  // enough for the JIT, and the first measured round then counts compilation.
  for (const route of routes) await run(route, 0, options.connections, WARM_UP_REQUESTS);
  const runs = new Map<string, RouteRun[]>(routes.map((route) => [route.name, []]));
  // Uncounted rounds first: in the runs of 2026-11-30 every route's first round, floor included,
  // cost 20–60% more CPU per request than the rounds after it (the app settling after seeding).
  const uncounted = options.uncountedRounds ?? 0;
  for (let round = 0; round < uncounted + options.rounds; round++) {
    for (const route of routes) {
      const result = await run(route, options.seconds, options.connections);
      if (round >= uncounted) runs.get(route.name)!.push(result);
    }
  }
  return Object.fromEntries(
    routes.map((route) => {
      const results = runs.get(route.name)!;
      return [
        route.name,
        {
          runs: results,
          cpuMicrosPerRequest: median(results.map((r) => r.cpuMicrosPerRequest)),
          requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
          p50Ms: median(results.map((r) => r.p50Ms)),
          p99Ms: median(results.map((r) => r.p99Ms)),
        },
      ];
    }),
  );
}

const WARM_UP_REQUESTS = 2000;

/**
 * A figure of two routes computed round by round (routes measured seconds apart, under the same
 * load), then the median: steadier on a busy machine than the same figure of the two medians.
 */
export function pairedMedian(a: RouteFigures, b: RouteFigures, figure: (a: number, b: number) => number): number {
  return median(a.runs.map((run, i) => figure(run.cpuMicrosPerRequest, b.runs[i]!.cpuMicrosPerRequest)));
}

async function run(route: Route, seconds: number, connections: number, amount?: number): Promise<RouteRun> {
  const before = processCpuMicros(route.pid);
  const result = await load({ url: route.url, path: route.path, seconds, connections, cookies: route.cookies, expect: route.expect, amount });
  const used = processCpuMicros(route.pid) - before;
  return { ...result, cpuMicrosPerRequest: result.requests > 0 ? used / result.requests : NaN };
}
