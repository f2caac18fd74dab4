import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchServerOptions } from './bench-server.ts';
import type { FloorOptions } from './floor-server.ts';

export interface Child<Ready> {
  readonly process: ChildProcess;
  readonly ready: Ready;
  ask<T>(message: Record<string, unknown>, answerType: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Runs every bench process started after it through `wrapper`, an executable that is handed Node's
 * arguments (instruction-counts.ts runs them under valgrind); `undefined` runs Node itself again.
 */
export function wrapBenchProcesses(wrapper: string | undefined): void {
  processWrapper = wrapper;
}
let processWrapper: string | undefined;

/** Starts a bench process (plain Node with type stripping, GC exposed) and waits for its `ready` message. */
async function start<Ready>(script: string, env: Record<string, string> = {}): Promise<Child<Ready>> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    ...(processWrapper ? { execPath: processWrapper } : {}),
    // BENCH_CPU_PROF=<dir>: write a CPU profile of each bench process there (node --cpu-prof).
    execArgv: ['--expose-gc', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.on('message', (message: { type: string }) => {
      if (message.type === 'ready') resolve(message as Ready);
    });
  });
  child.removeAllListeners('exit');
  return {
    process: child,
    ready,
    ask: <T>(message: Record<string, unknown>, answerType: string) =>
      new Promise<T>((resolve, reject) => {
        const exited = (code: number | null) => reject(new Error(`${script} exited with ${code} before answering ${message.type}`));
        const listener = (answer: { type: string }) => {
          if (answer.type !== answerType) return;
          child.off('message', listener);
          child.off('exit', exited);
          resolve(answer as T);
        };
        child.on('message', listener);
        child.once('exit', exited);
        child.send(message);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (child.connected) child.send({ type: 'stop' });
        else child.kill();
        // Long enough for a Redis bench server to delete what it seeded (100,000 users: about
        // 400,000 keys); at 10 s a busy machine's run once left 10,647 of them behind.
        setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
      }),
  };
}

export interface ServerReady {
  readonly port: number;
  readonly cookies: string[];
  readonly seedSeconds: number;
  readonly partitionBytes: number;
  /** What the floor server needs to make the baseline's call and render the same fields. */
  readonly floor: Omit<FloorOptions, 'downstreamUrl'>;
}

export function startBenchServer(options: BenchServerOptions): Promise<Child<ServerReady>> {
  return start<ServerReady>('./bench-server.ts', { BENCH_SERVER_OPTIONS: JSON.stringify(options) });
}

export function startDownstreamStub(): Promise<Child<{ port: number }>> {
  return start<{ port: number }>('./downstream-stub.ts');
}

export function startFloorServer(options: FloorOptions): Promise<Child<{ port: number }>> {
  return start<{ port: number }>('./floor-server.ts', { BENCH_FLOOR_OPTIONS: JSON.stringify(options) });
}

/** The steps from the floor to the app's page path, in order (bench/framework-step-server.ts). */
export const FRAMEWORK_STEPS = ['koa', 'views', 'router', 'headers'] as const;
export type FrameworkStep = (typeof FRAMEWORK_STEPS)[number];

export function startFrameworkStepServer(step: FrameworkStep, options: FloorOptions): Promise<Child<{ port: number }>> {
  return start<{ port: number }>('./framework-step-server.ts', { BENCH_STEP: step, BENCH_FLOOR_OPTIONS: JSON.stringify(options) });
}
