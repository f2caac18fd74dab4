import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../../src/app/server.ts', import.meta.url));

export interface AppProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly metricsPort: number | undefined;
  /** Its log lines so far, parsed (LOG_FORMAT=json). */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code and when it came (performance.now()). */
  readonly exited: Promise<{ code: number | null; at: number }>;
}

/** The app as production runs it: `node src/app/server.ts` (type stripping), JSON logs read from stdout; resolves once it listens. */
export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
  const { child, logs, exited, errors } = spawnAppProcess(env);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const listening = logs.find((line) => line.message === 'listening');
    if (listening) return { child, port: listening.port as number, metricsPort: listening.metricsPort as number | undefined, logs, exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app did not start: ${errors()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `startAppProcess`, without waiting for anything: the process as it starts, and what it says. */
export function spawnAppProcess(env: Record<string, string>): Pick<AppProcess, 'child' | 'logs' | 'exited'> & { errors(): string } {
  const { PATH, HOME } = process.env;
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH, HOME, HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors += String(chunk)));
  let buffered = '';
  child.stdout!.on('data', (chunk) => {
    buffered += String(chunk);
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, at: performance.now() }));
  return { child, logs, exited, errors: () => errors };
}
