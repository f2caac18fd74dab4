/**
 * `npm run bench`: what an authenticated request costs and whether it stays flat as users grow.
 * Starts everything it needs on localhost (Redis must run on 127.0.0.1:6379, as for the tests),
 * prints a table of figures with targets, and writes them to artifacts/bench/.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startBenchServer, startDownstreamStub } from './children.ts';
import { load, type LoadResult } from './load.ts';
import { oidOf } from './partition-template.ts';
import { median } from './stats.ts';
import { measureSignOuts } from './sign-outs.ts';

const QUICK = process.argv.includes('--quick');
const SECONDS = QUICK ? 2 : 5;
const ROUNDS = 3;
const CONNECTIONS = 20;
const MANY = QUICK ? 10_000 : 100_000;
const SESSIONS_UNDER_LOAD = 1000;
const dataDir = join('data', 'bench');

interface Row {
  readonly measure: string;
  readonly store: string;
  readonly value: string;
  readonly target: string;
  readonly pass: boolean | undefined;
}

const rows: Row[] = [];
const raw: Record<string, unknown> = {};
const row = (measure: string, store: string, value: string, target = '', pass?: boolean) => {
  rows.push({ measure, store, value, target, pass });
  process.stdout.write(`  ${measure} [${store}]: ${value}${target ? ` (target ${target}: ${pass ? 'pass' : 'FAIL'})` : ''}\n`);
};

rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const started = Date.now();
const stub = await startDownstreamStub();
const downstreamUrl = `http://127.0.0.1:${stub.ready.port}/v1.0/me`;

try {
  const profileRps: Record<string, number> = {};
  for (const store of ['sqlite', 'redis'] as const) {
    for (const users of [100, MANY]) {
      const label = `${store}, ${users.toLocaleString('en')} users`;
      process.stdout.write(`\n${label}: seeding...\n`);
      const server = await startBenchServer({
        store,
        users,
        // With many users, every user has a session too: the sign-out test needs them.
        sessions: users === MANY ? MANY : SESSIONS_UNDER_LOAD,
        cookies: SESSIONS_UNDER_LOAD,
        downstreamUrl,
        sqlitePath: join(dataDir, `${store}-${users}.db`),
        redisKeyPrefix: `bench:${Date.now()}:`,
      });
      const { port, cookies, seedSeconds, partitionBytes } = server.ready;
      process.stdout.write(`  seeded in ${seedSeconds.toFixed(1)} s (${(partitionBytes / 1024).toFixed(1)} KB per partition)\n`);
      const url = `http://127.0.0.1:${port}`;
      const expectUser = (i: number) => `<dd>${oidOf(i % users)}</dd>`;
      const baseline: LoadResult[] = [];
      const profile: LoadResult[] = [];
      await load({ url, path: '/bench/baseline', seconds: 1, connections: CONNECTIONS }); // warm-up
      await load({ url, path: '/profile', seconds: 1, connections: CONNECTIONS, cookies });
      for (let round = 0; round < ROUNDS; round++) {
        baseline.push(await load({ url, path: '/bench/baseline', seconds: SECONDS, connections: CONNECTIONS }));
        profile.push(await load({ url, path: '/profile', seconds: SECONDS, connections: CONNECTIONS, cookies, expect: expectUser }));
      }
      const rps = (results: LoadResult[]) => median(results.map((r) => r.requestsPerSecond));
      const p = (results: LoadResult[], key: 'p50Ms' | 'p99Ms') => median(results.map((r) => r[key]));
      const ratio = rps(profile) / rps(baseline);
      profileRps[`${store}-${users}`] = rps(profile);
      row('GET /profile throughput', label, `${rps(profile).toFixed(0)} req/s, p50 ${p(profile, 'p50Ms')} ms, p99 ${p(profile, 'p99Ms')} ms`);
      row('baseline (same call, fixed token, no session)', label, `${rps(baseline).toFixed(0)} req/s, p50 ${p(baseline, 'p50Ms')} ms, p99 ${p(baseline, 'p99Ms')} ms`);
      row('signed-in overhead: profile/baseline', label, ratio.toFixed(2), '>= 0.8', ratio >= 0.8);
      const mismatches = profile.reduce((sum, r) => sum + r.mismatches, 0);
      const checked = profile.reduce((sum, r) => sum + r.checked, 0);
      const failures = profile.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
      row('isolation: responses with another user\'s data', label, `${mismatches} of ${checked} checked (${failures} non-2xx/errors)`, '0', mismatches === 0 && failures === 0 && checked > 0);
      raw[label] = { baseline, profile, seedSeconds, partitionBytes };

      if (users === MANY) {
        const silent = await server.ask<{ p50: number; p99: number; count: number }>({ type: 'silent', samples: 20_000 }, 'silent');
        row('silent token acquisition (port call)', label, `p50 ${silent.p50.toFixed(0)} µs, p99 ${silent.p99.toFixed(0)} µs`, 'p50 <= 300 µs', silent.p50 <= 300);
        // Sessions beyond those under load, so each sign-out has real work: tokens and a session.
        const signOuts = await measureSignOuts(url, { from: SESSIONS_UNDER_LOAD, count: 1000 });
        row(`front-channel sign-out by sid, ${MANY.toLocaleString('en')} sessions stored`, label, `p50 ${signOuts.p50.toFixed(2)} ms, p99 ${signOuts.p99.toFixed(2)} ms, ${signOuts.failures} failed`, 'p99 <= 10 ms', signOuts.p99 <= 10 && signOuts.failures === 0);
        raw[`${label} silent`] = silent;
        raw[`${label} sign-out`] = signOuts;
      }
      await server.stop();
    }
    const flat = profileRps[`${store}-${MANY}`]! / profileRps[`${store}-100`]!;
    row(`flat with users: throughput ${MANY.toLocaleString('en')}/100`, store, flat.toFixed(2), '>= 0.9', flat >= 0.9);
  }

  process.stdout.write('\nmemory: 10,000 users signing in and calling the API once each...\n');
  const memory = await measureMemory(downstreamUrl);
  row(
    'resident memory (anonymous) growth per 1,000 users, beyond the bounded cache',
    'sqlite, 10,000 users',
    `${memory.slopeMbPer1000.toFixed(2)} MB; ${memory.startMb.toFixed(0)} -> ${memory.endMb.toFixed(0)} MB; the cache (bound ${memory.bound.toLocaleString('en')} partitions) took ${memory.fillMbPer1000.toFixed(1)} MB per 1,000`,
    '< 1 MB',
    memory.slopeMbPer1000 < 1,
  );
  raw.memory = memory;
} finally {
  await stub.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const summary = { date: new Date().toISOString(), machine, quick: QUICK, seconds: (Date.now() - started) / 1000, rows, raw };
mkdirSync(join('artifacts', 'bench'), { recursive: true });
const file = join('artifacts', 'bench', `bench-${summary.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(summary, null, 2));
writeFileSync(join('artifacts', 'bench', 'latest.json'), JSON.stringify(summary, null, 2));

process.stdout.write(`\n${summary.date} — ${machine}\n\n| measure | setup | result | target | |\n|---|---|---|---|---|\n`);
for (const r of rows) process.stdout.write(`| ${r.measure} | ${r.store} | ${r.value} | ${r.target} | ${r.pass === undefined ? '' : r.pass ? 'pass' : '**FAIL**'} |\n`);
process.stdout.write(`\nTook ${summary.seconds.toFixed(0)} s. Written to ${file}\n`);

async function measureMemory(url: string) {
  const USERS = 10_000;
  const BOUND = 2_000; // parsed partitions kept in memory in this run (the app's default is 10,000)
  const server = await startBenchServer({
    store: 'sqlite',
    users: USERS,
    sessions: USERS,
    cookies: USERS,
    downstreamUrl: url,
    sqlitePath: join(dataDir, 'memory.db'),
    redisKeyPrefix: 'unused:',
    partitionsInMemory: BOUND,
  });
  const base = `http://127.0.0.1:${server.ready.port}`;
  const sample = async () => {
    const { rss, rssAnon, heapUsed } = await server.ask<{ rss: number; rssAnon: number; heapUsed: number }>({ type: 'rss' }, 'rss');
    return { rssMb: rss / 2 ** 20, anonMb: rssAnon / 2 ** 20, heapMb: heapUsed / 2 ** 20 };
  };
  // Warm-up on a user outside the measured ones' order: JIT, views, connection pools.
  await load({ url: base, path: '/profile', seconds: 1, connections: 10, cookies: server.ready.cookies.slice(USERS - 50) });
  const samples = [await sample()];
  for (let chunk = 0; chunk < USERS / 1000; chunk++) {
    const cookies = server.ready.cookies.slice(chunk * 1000, (chunk + 1) * 1000);
    await load({ url: base, path: '/profile', seconds: 0, connections: 10, cookies, amount: cookies.length });
    samples.push(await sample());
  }
  await server.stop();
  const anon = samples.map((s) => s.anonMb);
  // Growth once the bound is reached (from 3,000 users on), least squares, MB per 1,000 users.
  const tail = anon.slice(BOUND / 1000 + 1);
  const xs = tail.map((_, i) => i);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(tail);
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (tail[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const fillMbPer1000 = (anon[BOUND / 1000]! - anon[0]!) / (BOUND / 1000);
  return { bound: BOUND, samples, slopeMbPer1000: slope, fillMbPer1000, startMb: anon[0]!, endMb: anon.at(-1)! };
}
