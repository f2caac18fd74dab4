/**
 * Instructions per request, counted by valgrind's callgrind: a figure that other work on the
 * machine cannot move, unlike CPU time. Not exact either, as V8 compiles on threads of its own,
 * which callgrind runs one at a time: two runs on the fifteenth bench machine gave the floor 353,073
 * and 354,637 instructions, the app's routes within 3% of each other, one step within 9%. The floor, the framework steps (framework-step-server.ts), the
 * app's baseline route and `/profile` (SQLite, 100 users), each in its own process under callgrind,
 * counting starting after an uncounted warm-up. Prints, for each, the main thread's count (where
 * every line of JavaScript runs) and every thread's (V8's compiler and GC helpers, the WAL
 * checkpoint worker), and the main thread's ratio to the floor's.
 *
 * What it is for: comparing the work two versions of the page path do. What it is not: CPU time.
 * An instruction that misses the caches costs more than one that hits, and the kernel's work (the
 * sockets) is not counted; so the ratio of CPU per request (`npm run bench`) sits above this one.
 * Background threads run far more often per request under callgrind (every request takes 50 to 100
 * times as long), so the all-threads count overstates them.
 *
 *   node_modules/.bin/node bench/instruction-counts.ts [warm-up=2000] [counted=1000]
 * Needs valgrind (`apt-get install -y valgrind`); about 12 minutes with the defaults.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAMEWORK_STEPS, startBenchServer, startDownstreamStub, startFloorServer, startFrameworkStepServer, wrapBenchProcesses, type Child } from './children.ts';

const warmUp = Number(process.argv[2] ?? 2000);
const counted = Number(process.argv[3] ?? 1000);
const CONNECTIONS = 10;

try {
  execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('valgrind is not installed (apt-get install -y valgrind)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'bench-instructions-'));
// Callgrind starts with counting off (switched on after the warm-up), one output file per thread.
// V8 writes the code it runs at run time: --smc-check makes valgrind see code that changed.
const wrapper = join(dir, 'callgrind-node.sh');
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind -q --tool=callgrind --instr-atstart=no --separate-threads=yes --smc-check=all-non-file --callgrind-out-file=${dir}/cg.%p.out ${process.execPath} "$@"\n`,
);
chmodSync(wrapper, 0o755);

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
function get(port: number, path: string, cookie?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent, headers: cookie ? { cookie } : {} }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode!));
    })
      .on('error', reject)
      .end();
  });
}

/** `count` GETs of `path`, CONNECTIONS at a time, request n with cookie n mod cookies.length; all must be 200s. */
async function drive(port: number, path: string, count: number, cookies?: readonly string[]): Promise<void> {
  let next = 0;
  const refused: number[] = [];
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < count) {
        const n = next++;
        const status = await get(port, path, cookies?.[n % cookies.length]);
        if (status !== 200) refused.push(status);
      }
    }),
  );
  if (refused.length > 0) throw new Error(`${path} answered ${refused.length} times with another status than 200 (${refused[0]})`);
}

interface Count {
  readonly mainThread: number;
  readonly allThreads: number;
}

/** Warms `path` up uncounted, counts `counted` requests, and reads the counts from callgrind's files. */
async function countRequests(pid: number, port: number, path: string, cookies?: readonly string[]): Promise<Count> {
  await drive(port, path, warmUp, cookies);
  execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
  execFileSync('callgrind_control', ['--instr=on', String(pid)], { stdio: 'ignore' });
  await drive(port, path, counted, cookies);
  execFileSync('callgrind_control', ['--instr=off', String(pid)], { stdio: 'ignore' });
  execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' });
  let mainThread = 0;
  let allThreads = 0;
  // One file per thread, named cg.<pid>.out.<dump>-<thread>; thread 01 is the main thread.
  for (const file of readdirSync(dir).filter((name) => name.startsWith(`cg.${pid}.out.`))) {
    const total = Number(/^totals:\s+(\d+)/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? 0);
    allThreads += total;
    if (file.endsWith('-01')) mainThread += total;
    rmSync(join(dir, file));
  }
  return { mainThread: mainThread / counted, allThreads: allThreads / counted };
}

const stub = await startDownstreamStub(); // not counted: started before the wrapper is set
const downstreamUrl = `http://127.0.0.1:${stub.ready.port}/v1.0/me`;
wrapBenchProcesses(wrapper);
const started: Child<unknown>[] = [];
const counts = new Map<string, Count>();
/** A bench app (bench-server.ts) of its own, under callgrind, seeded as `npm run bench` seeds it. */
async function benchServer(name: string) {
  const server = await startBenchServer({
    store: 'sqlite',
    users: 100,
    sessions: 1000,
    cookies: 1000,
    downstreamUrl,
    sqlitePath: join(dir, `${name}.db`),
    redisKeyPrefix: `bench-instructions:${process.pid}:`,
  });
  started.push(server);
  return server;
}
try {
  // Each route in a process of its own, started, counted and stopped before the next: counted in one
  // process after another route, or after it sat idle while others were counted, the app's figures
  // moved by a fifth (V8 compiles on its own threads, which callgrind runs one at a time).
  const seeded = await benchServer('floor-options');
  const floorOptions = { downstreamUrl, ...seeded.ready.floor };
  await seeded.stop();
  const floor = await startFloorServer(floorOptions);
  counts.set('floor', await countRequests(floor.process.pid!, floor.ready.port, '/'));
  await floor.stop();
  for (const step of FRAMEWORK_STEPS) {
    const stepServer = await startFrameworkStepServer(step, floorOptions);
    counts.set(`+ ${step}`, await countRequests(stepServer.process.pid!, stepServer.ready.port, '/'));
    await stepServer.stop();
  }
  const forBaseline = await benchServer('baseline');
  counts.set('the app: baseline route', await countRequests(forBaseline.process.pid!, forBaseline.ready.port, '/bench/baseline'));
  await forBaseline.stop();
  const forProfile = await benchServer('profile');
  counts.set('the app: GET /profile', await countRequests(forProfile.process.pid!, forProfile.ready.port, '/profile', forProfile.ready.cookies));
  await forProfile.stop();
  const floorCount = counts.get('floor')!.mainThread;
  console.log(`instructions per request (${counted} counted after ${warmUp} uncounted), main thread ÷ floor, all threads:`);
  for (const [name, count] of counts) {
    console.log(
      `${name.padEnd(26)} ${Math.round(count.mainThread).toLocaleString('en').padStart(9)}  ÷ floor ${(count.mainThread / floorCount).toFixed(2)}  all threads ${Math.round(count.allThreads).toLocaleString('en').padStart(9)}`,
    );
  }
} finally {
  await Promise.all(started.map((child) => child.stop()));
  await stub.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
