/**
 * `npm run bench`: what an authenticated request costs, measured as the app process's own CPU per
 * request (robust to other work on the machine), against the floor (a bare node:http server making
 * the same call) and the baseline (the app's framework path with no session or token store), and
 * whether it stays flat as users grow. Starts everything it needs on localhost (Redis must run on
 * 127.0.0.1:6379, as for the tests), prints every figure and target with pass or fail, and writes
 * them to artifacts/bench/.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { startBenchServer, startDownstreamStub, startFloorServer } from './children.ts';
import { measureInvalidationWindow } from './invalidation-window.ts';
import { load } from './load.ts';
import { oidOf } from './bench-users.ts';
import { loadAverage } from './process-cpu.ts';
import { measureRoutes, pairedMedian } from './route-rounds.ts';
import { measureSignOuts } from './sign-outs.ts';
import { median } from './stats.ts';

const QUICK = process.argv.includes('--quick');
// Shorter rounds, more of them: a figure is the median of per-round differences, and the machine's
// speed drifts over minutes, so more pairs measured closer together give a steadier median.
const SECONDS = QUICK ? 1 : 2.5;
const ROUNDS = QUICK ? 3 : 8;
const CONNECTIONS = 20;
const MANY = QUICK ? 10_000 : 100_000;
/** Silent acquisitions timed, and front-channel sign-outs made, per store (fewer in --quick, to stay under 2 minutes). */
const SILENT_SAMPLES = QUICK ? 5_000 : 20_000;
const SIGN_OUTS = QUICK ? 300 : 1000;
const SESSIONS_UNDER_LOAD = 1000;
/**
 * Users of the memory run. Past the bound of 2,000 entries per cache, resident memory still rises
 * for a while (the allocator's and V8's own pools settling: seen flat from about 9,000 users on in
 * a 20,000-user run, with the V8 heap flat throughout), so growth is fitted over the second half.
 */
const MEMORY_USERS = QUICK ? 6_000 : 20_000; // quick: no verdict, and under 2 minutes on a slow machine
const dataDir = join('data', 'bench');

/** The targets of each store, all by CPU per request in one run. */
const TARGETS = {
  sqlite: { profileOverFloor: 2.0, signInAddsMicros: 50, silentP50Micros: 100 },
  redis: { profileOverFloor: 2.5, signInAddsMicros: 80, silentP50Micros: 150 },
} as const;

/**
 * The bench's first targets, by throughput (requests per second), for both stores. They are kept,
 * but throughput measures whoever gets the cores on a shared machine, so their verdicts are printed
 * yet counted apart from the CPU targets: the "targets passed" line stays comparable with earlier runs.
 */
const THROUGHPUT_TARGETS = { profileOverBaseline: 0.8, manyOverHundred: 0.9 } as const;

interface Row {
  readonly measure: string;
  readonly store: string;
  readonly value: string;
  readonly target: string;
  readonly pass: boolean | undefined;
  /** A throughput target: its verdict is counted apart from the CPU targets. */
  readonly loadSensitive?: true;
}

const rows: Row[] = [];
const raw: Record<string, unknown> = {};
const loads: number[] = [loadAverage()];
const row = (measure: string, store: string, value: string, target = '', pass?: boolean, loadSensitive?: true) => {
  rows.push({ measure, store, value, target, pass, ...(loadSensitive ? { loadSensitive } : {}) });
  process.stdout.write(`  ${measure} [${store}]: ${value}${target ? ` (target ${target}${pass === undefined ? '' : `: ${pass ? 'pass' : 'FAIL'}`})` : ''}\n`);
};
const µs = (value: number) => `${value.toFixed(0)} µs`;

rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const started = Date.now();
const stub = await startDownstreamStub();
const downstreamUrl = `http://127.0.0.1:${stub.ready.port}/v1.0/me`;

try {
  const profileCpu: Record<string, number> = {};
  const profileRps: Record<string, number> = {};
  for (const store of ['sqlite', 'redis'] as const) {
    const target = TARGETS[store];
    for (const users of [100, MANY]) {
      const label = `${store}, ${users.toLocaleString('en')} users`;
      const keyPrefix = `bench:${Date.now()}:`;
      process.stdout.write(`\n${label}: seeding... (load average ${loadAverage().toFixed(2)}, ${((Date.now() - started) / 1000).toFixed(0)} s in)\n`);
      const server = await startBenchServer({
        store,
        users,
        // With many users, every user has a session too: the sign-out test needs them.
        sessions: users === MANY ? MANY : SESSIONS_UNDER_LOAD,
        cookies: SESSIONS_UNDER_LOAD,
        downstreamUrl,
        sqlitePath: join(dataDir, `${store}-${users}.db`),
        redisKeyPrefix: keyPrefix,
      });
      const floor = await startFloorServer({ downstreamUrl, ...server.ready.floor });
      const { port, cookies, seedSeconds, partitionBytes } = server.ready;
      process.stdout.write(`  seeded in ${seedSeconds.toFixed(1)} s (${(partitionBytes / 1024).toFixed(1)} KB per partition)\n`);
      const url = `http://127.0.0.1:${port}`;
      const appPid = server.process.pid!;
      const figures = await measureRoutes(
        [
          { name: 'floor', url: `http://127.0.0.1:${floor.ready.port}`, path: '/', pid: floor.process.pid! },
          { name: 'baseline', url, path: '/bench/baseline', pid: appPid },
          // Full runs split what sign-in adds: the baseline with a session cookie loads the session
          // (cookie, signature, store) and nothing of the tokens.
          ...(QUICK ? [] : [{ name: 'baseline with session', url, path: '/bench/baseline', pid: appPid, cookies }]),
          { name: 'profile', url, path: '/profile', pid: appPid, cookies, expect: (i: number) => `<dd>${oidOf(i % users)}</dd>` },
        ],
        { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, uncountedRounds: QUICK ? 0 : 1 },
      );
      await floor.stop();
      const { floor: f, baseline: b, profile: p } = figures as Record<'floor' | 'baseline' | 'profile', (typeof figures)[string]>;
      const profileOverFloor = pairedMedian(p!, f!, (profile, floor) => profile / floor);
      const baselineOverFloor = pairedMedian(b!, f!, (baseline, floor) => baseline / floor);
      const signInAdds = pairedMedian(p!, b!, (profile, baseline) => profile - baseline);
      profileCpu[`${store}-${users}`] = p!.cpuMicrosPerRequest;
      profileRps[`${store}-${users}`] = p!.requestsPerSecond;
      row('CPU per request: floor / baseline / GET /profile', label, `${µs(f!.cpuMicrosPerRequest)} / ${µs(b!.cpuMicrosPerRequest)} / ${µs(p!.cpuMicrosPerRequest)}`);
      row('/profile CPU ÷ floor', label, profileOverFloor.toFixed(2), `<= ${target.profileOverFloor}`, profileOverFloor <= target.profileOverFloor);
      row('baseline CPU ÷ floor', label, baselineOverFloor.toFixed(2));
      row('what sign-in adds: /profile CPU − baseline CPU', label, µs(signInAdds), `<= ${target.signInAddsMicros} µs`, signInAdds <= target.signInAddsMicros);
      // The same in units of this machine's floor, round by round: machines of this kind differ in
      // speed by 2x or more, and this figure compares across them where the µs do not.
      const signInAddsInFloors = median(p!.runs.map((run, i) => (run.cpuMicrosPerRequest - b!.runs[i]!.cpuMicrosPerRequest) / f!.runs[i]!.cpuMicrosPerRequest));
      row('  the same ÷ floor (comparable across machines)', label, signInAddsInFloors.toFixed(2));
      const s = figures['baseline with session'];
      if (s) {
        row('CPU per request: baseline with a session cookie', label, µs(s.cpuMicrosPerRequest));
        const session = pairedMedian(s, b!, (withSession, baseline) => withSession - baseline);
        row('  of which loading the session (cookie, signature, store, koa-session)', label, µs(session));
        row('  of which the tokens (silent acquisition, tokens held)', label, µs(pairedMedian(p!, s, (profile, withSession) => profile - withSession)));
      }
      for (const [name, r] of Object.entries(figures)) {
        row(`throughput ${name} (sensitive to machine load)`, label, `${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      }
      // Round by round, as the CPU ratios: the two routes' rounds alternate, so each pair met the same load.
      const rpsProfileOverBaseline = median(p!.runs.map((run, i) => run.requestsPerSecond / b!.runs[i]!.requestsPerSecond));
      if (users === 100) {
        const minimum = THROUGHPUT_TARGETS.profileOverBaseline;
        row('throughput /profile ÷ baseline, req/s (sensitive to machine load)', label, rpsProfileOverBaseline.toFixed(2), `>= ${minimum}`, rpsProfileOverBaseline >= minimum, true);
      } else {
        row('throughput /profile ÷ baseline, req/s (sensitive to machine load)', label, rpsProfileOverBaseline.toFixed(2));
      }
      const mismatches = p!.runs.reduce((sum, r) => sum + r.mismatches, 0);
      const checked = p!.runs.reduce((sum, r) => sum + r.checked, 0);
      const failures = p!.runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
      row("isolation: responses with another user's data", label, `${mismatches} of ${checked} checked (${failures} non-2xx/errors)`, '0', mismatches === 0 && failures === 0 && checked > 0);
      raw[label] = { figures, seedSeconds, partitionBytes };

      if (users === MANY) {
        type Silent = { p50: number; p99: number; cpuMicrosPerCall: number; count: number; among: number; bound: number };
        const silent = await server.ask<Silent>({ type: 'silent', samples: SILENT_SAMPLES }, 'silent');
        row('silent token acquisition (port call)', label, `p50 ${µs(silent.p50)}, p99 ${µs(silent.p99)}; CPU ${µs(silent.cpuMicrosPerCall)} per call`, `p50 <= ${target.silentP50Micros} µs`, silent.p50 <= target.silentP50Micros);
        // The same with as many users active as the memory bound holds (TOKEN_MEMORY_CACHE_ENTRIES,
        // the app's default here): what the README's sizing advice promises. The first pass fills it.
        const { bound } = silent;
        if (bound < users) {
          await server.ask<Silent>({ type: 'silent', samples: bound, among: bound }, 'silent');
          const active = await server.ask<Silent>({ type: 'silent', samples: SILENT_SAMPLES, among: bound }, 'silent');
          row(`  the same with ${bound.toLocaleString('en')} users active (the memory bound)`, label, `p50 ${µs(active.p50)}, p99 ${µs(active.p99)}; CPU ${µs(active.cpuMicrosPerCall)} per call`);
          raw[`${label} silent, users active within the bound`] = active;
        }
        // Sessions beyond those under load, so each sign-out has real work: tokens and a session.
        const signOuts = await measureSignOuts(url, { from: SESSIONS_UNDER_LOAD, count: SIGN_OUTS });
        row(`front-channel sign-out by sid, ${MANY.toLocaleString('en')} sessions stored`, label, `p50 ${signOuts.p50.toFixed(2)} ms, p99 ${signOuts.p99.toFixed(2)} ms, ${signOuts.failures} failed`, 'p99 <= 10 ms', signOuts.p99 <= 10 && signOuts.failures === 0);
        if (store === 'redis') {
          // Measured while the app serves /profile, as a sign-out elsewhere would meet it.
          const [window] = await Promise.all([
            measureInvalidationWindow(server, { keyPrefix, sessions: MANY, count: QUICK ? 300 : 1000 }),
            load({ url, path: '/profile', seconds: QUICK ? 2 : 5, connections: CONNECTIONS, cookies }),
          ]);
          row(
            'invalidation window: session deleted by another instance, until this one drops its copy (under load)',
            label,
            `p50 ${µs(window.p50)}, p99 ${µs(window.p99)}, max ${µs(window.max)} (${window.count} of ${window.held} held; ${window.notDropped} not dropped); hard bound 1 s`,
            'every copy dropped, within 1 s',
            // Every deleted session must have been held, or a cache that kept nothing would pass.
            window.held === window.count && window.notDropped === 0 && window.max <= 1_000_000, // µs
          );
          raw[`${label} invalidation window`] = window;
        }
        raw[`${label} silent`] = silent;
        raw[`${label} sign-out`] = signOuts;
      }
      await server.stop();
      loads.push(loadAverage());
    }
    const flat = profileCpu[`${store}-${MANY}`]! / profileCpu[`${store}-100`]!;
    row(`flat with users: /profile CPU ${MANY.toLocaleString('en')} ÷ 100 users`, store, flat.toFixed(2));
    const rpsFlat = profileRps[`${store}-${MANY}`]! / profileRps[`${store}-100`]!;
    const minimum = THROUGHPUT_TARGETS.manyOverHundred;
    row(
      `throughput flat with users: /profile req/s ${MANY.toLocaleString('en')} ÷ 100 users (sensitive to machine load)`,
      store,
      rpsFlat.toFixed(2),
      // The target is set for 100,000 users: a quick run's 10,000 get no verdict.
      QUICK ? `>= ${minimum} in a full run` : `>= ${minimum}`,
      QUICK ? undefined : rpsFlat >= minimum,
      true,
    );
  }

  // Quick runs measure SQLite only, to stay under two minutes.
  for (const store of QUICK ? (['sqlite'] as const) : (['sqlite', 'redis'] as const)) {
    process.stdout.write(`\nmemory, ${store}: ${MEMORY_USERS.toLocaleString('en')} signed-in users (seeded) calling the API once each... (${((Date.now() - started) / 1000).toFixed(0)} s in)\n`);
    const memory = await measureMemory(store, downstreamUrl);
    row(
      'resident memory (anonymous) growth per 1,000 users, beyond the bounded caches',
      `${store}, ${MEMORY_USERS.toLocaleString('en')} users`,
      `${memory.slopeMbPer1000.toFixed(2)} MB over the second half (${memory.afterBoundMbPer1000.toFixed(2)} MB from the bound on; V8 heap ${memory.heapMbPer1000.toFixed(2)} MB); ${memory.startMb.toFixed(0)} -> ${memory.endMb.toFixed(0)} MB; the caches (bound ${memory.bound.toLocaleString('en')} entries each) took ${memory.fillMbPer1000.toFixed(1)} MB per 1,000`,
      QUICK ? '< 1 MB in a full run' : '< 1 MB',
      // 10,000 users end where resident memory is still settling: only a full run gives a verdict.
      QUICK ? undefined : memory.slopeMbPer1000 < 1,
    );
    raw[`memory ${store}`] = memory;
  }
} finally {
  await stub.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

loads.push(loadAverage());
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const busy = `load average (1 min) during the run: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} on ${cpus().length} cores`;
const summary = { date: new Date().toISOString(), machine, busy, quick: QUICK, seconds: (Date.now() - started) / 1000, rows, raw };
mkdirSync(join('artifacts', 'bench'), { recursive: true });
const file = join('artifacts', 'bench', `bench-${summary.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(summary, null, 2));
writeFileSync(join('artifacts', 'bench', 'latest.json'), JSON.stringify(summary, null, 2));

process.stdout.write(`\n${summary.date} — ${machine}; ${busy}\n\n| measure | setup | result | target | |\n|---|---|---|---|---|\n`);
for (const r of rows) process.stdout.write(`| ${r.measure} | ${r.store} | ${r.value} | ${r.target} | ${r.pass === undefined ? '' : r.pass ? 'pass' : '**FAIL**'} |\n`);
const tally = (loadSensitive: boolean) => {
  const judged = rows.filter((r) => r.pass !== undefined && (r.loadSensitive === true) === loadSensitive);
  const failed = judged.filter((r) => r.pass === false).length;
  return { passed: judged.length - failed, failed };
};
const cpu = tally(false);
const throughput = tally(true);
process.stdout.write(`\n${cpu.passed} targets passed, ${cpu.failed} failed. Took ${summary.seconds.toFixed(0)} s. Written to ${file}\n`);
process.stdout.write(`Load-sensitive targets (throughput in req/s; not counted above): ${throughput.passed} passed, ${throughput.failed} failed.\n`);

async function measureMemory(store: 'sqlite' | 'redis', url: string) {
  const USERS = MEMORY_USERS;
  // Entries of each cache kept in memory in this run (parsed partitions, sessions, token versions):
  // the app's default is 10,000.
  const BOUND = 2_000;
  const server = await startBenchServer({
    store,
    users: USERS,
    sessions: USERS,
    cookies: USERS,
    downstreamUrl: url,
    sqlitePath: join(dataDir, 'memory.db'),
    redisKeyPrefix: `bench-memory:${Date.now()}:`,
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
  // samples[k]: after k thousand users.
  const anon = samples.map((s) => s.anonMb);
  const half = USERS / 2000;
  const fillMbPer1000 = (anon[BOUND / 1000]! - anon[0]!) / (BOUND / 1000);
  return {
    bound: BOUND,
    samples,
    slopeMbPer1000: slopePer1000(anon.slice(half)),
    afterBoundMbPer1000: slopePer1000(anon.slice(BOUND / 1000 + 1)),
    heapMbPer1000: slopePer1000(samples.slice(half).map((s) => s.heapMb)),
    fillMbPer1000,
    startMb: anon[0]!,
    endMb: anon.at(-1)!,
  };
}

/** Least-squares slope of samples taken every 1,000 users: MB per 1,000 users. */
function slopePer1000(values: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = (values.length - 1) / 2;
  const my = mean(values);
  return values.reduce((s, y, x) => s + (x - mx) * (y - my), 0) / values.reduce((s, _, x) => s + (x - mx) ** 2, 0);
}
