import { startBenchServer, startDownstreamStub } from './children.ts';
import { load } from './load.ts';
const stub = await startDownstreamStub();
const server = await startBenchServer({ store: (process.env.STORE ?? 'sqlite') as 'sqlite', users: 1000, sessions: 1000, cookies: 1000, downstreamUrl: `http://127.0.0.1:${stub.ready.port}/v1.0/me`, sqlitePath: 'data/bench/prof.db', redisKeyPrefix: 'x:' });
const url = `http://127.0.0.1:${server.ready.port}`;
for (const path of (process.env.PATHS ?? '/bench/baseline,/profile,/bench/baseline,/profile').split(',')) {
  const r = await load({ url, path, seconds: 4, connections: Number(process.env.CONN ?? 20), cookies: path === '/profile' ? server.ready.cookies : undefined });
  console.log(path, Math.round(r.requestsPerSecond), r.p50Ms, r.p99Ms, r.non2xx);
}
await server.stop(); await stub.stop();
