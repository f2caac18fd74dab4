/**
 * Where one route's time goes: starts the bench app (BENCH_CPU_PROF=<dir> for a `--cpu-prof`
 * profile of it), loads one route for a while, and prints its CPU per request.
 *   BENCH_CPU_PROF=/tmp/prof node_modules/.bin/node bench/profile-route.ts sqlite /profile 10
 * Requests carry a signed-in session's cookie unless `--no-session` is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchServer, startDownstreamStub } from './children.ts';
import { measureRoutes } from './route-rounds.ts';

const withSession = !process.argv.includes('--no-session');
const [store = 'sqlite', path = '/profile', seconds = '10'] = process.argv.slice(2).filter((arg) => arg !== '--no-session');
// Its own folder, removed at the end, as the other one-question benches do (Redis keys go at stop).
const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
const stub = await startDownstreamStub();
const server = await startBenchServer({
  store: store as 'sqlite' | 'redis',
  users: 100,
  sessions: 1000,
  cookies: 1000,
  downstreamUrl: `http://127.0.0.1:${stub.ready.port}/v1.0/me`,
  sqlitePath: join(dir, 'app.db'),
  redisKeyPrefix: `bench-profile:${process.pid}:`,
});
try {
  const figures = await measureRoutes(
    [{ name: path, url: `http://127.0.0.1:${server.ready.port}`, path, pid: server.process.pid!, ...(withSession ? { cookies: server.ready.cookies } : {}) }],
    { rounds: 1, seconds: Number(seconds), connections: 20 },
  );
  console.log(JSON.stringify({ path, cpuMicrosPerRequest: figures[path]!.cpuMicrosPerRequest, rps: figures[path]!.requestsPerSecond }));
} finally {
  await server.stop();
  await stub.stop();
  rmSync(dir, { recursive: true, force: true });
}
