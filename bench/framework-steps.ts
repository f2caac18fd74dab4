/**
 * Where the baseline's CPU per request goes beyond the floor, with sockets: the floor, a Koa app
 * taking one step of the app's page path at a time (bench/framework-step-server.ts), and the app's
 * own baseline route and `/profile`, loaded in turn as `npm run bench` loads its routes (autocannon,
 * 20 connections, rounds of 2.5 s after one not counted; medians). Prints each one's CPU per request
 * and its ratio to the floor.
 *   node_modules/.bin/node bench/framework-steps.ts [rounds=6]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAMEWORK_STEPS, startBenchServer, startDownstreamStub, startFloorServer, startFrameworkStepServer } from './children.ts';
import { measureRoutes, pairedMedian, type Route } from './route-rounds.ts';

const rounds = Number(process.argv[2] ?? 6);
const dir = mkdtempSync(join(tmpdir(), 'bench-steps-'));
const stub = await startDownstreamStub();
const downstreamUrl = `http://127.0.0.1:${stub.ready.port}/v1.0/me`;
const server = await startBenchServer({
  store: 'sqlite',
  users: 100,
  sessions: 1000,
  cookies: 1000,
  downstreamUrl,
  sqlitePath: join(dir, 'app.db'),
  redisKeyPrefix: `bench-steps:${process.pid}:`,
});
const floorOptions = { downstreamUrl, ...server.ready.floor };
const floor = await startFloorServer(floorOptions);
const steps = await Promise.all(FRAMEWORK_STEPS.map((step) => startFrameworkStepServer(step, floorOptions)));
const app = `http://127.0.0.1:${server.ready.port}`;
try {
  const routes: Route[] = [
    { name: 'floor', url: `http://127.0.0.1:${floor.ready.port}`, path: '/', pid: floor.process.pid! },
    ...FRAMEWORK_STEPS.map((step, i) => ({ name: `+ ${step}`, url: `http://127.0.0.1:${steps[i]!.ready.port}`, path: '/', pid: steps[i]!.process.pid! })),
    { name: 'the app: baseline route', url: app, path: '/bench/baseline', pid: server.process.pid! },
    { name: 'the app: GET /profile', url: app, path: '/profile', pid: server.process.pid!, cookies: server.ready.cookies },
  ];
  const figures = await measureRoutes(routes, { rounds, seconds: 2.5, connections: 20, uncountedRounds: 1 });
  for (const route of routes) {
    const figure = figures[route.name]!;
    const overFloor = pairedMedian(figure, figures.floor!, (a, b) => a / b);
    console.log(`${route.name.padEnd(26)} ${figure.cpuMicrosPerRequest.toFixed(0).padStart(5)} µs CPU per request, ÷ floor ${overFloor.toFixed(2)}, ${figure.requestsPerSecond.toFixed(0)} req/s`);
  }
} finally {
  await Promise.all([...steps, floor, server].map((child) => child.stop()));
  await stub.stop(); // last: a server still calling it would log a failed call
  rmSync(dir, { recursive: true, force: true });
}
