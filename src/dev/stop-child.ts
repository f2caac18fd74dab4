import type { ChildProcess } from 'node:child_process';

/**
 * The longest an app of the offline stack is given to stop before it is killed: its graceful
 * shutdown (src/app/server.ts) waits up to SHUTDOWN_GRACE_MS (10 s) for requests, then up to twice
 * the refresh lock's lifetime for refreshes running behind them, then closes its stores.
 */
const KILLED_AFTER_MS = 45_000;

/**
 * Stops one app of the offline stack with SIGTERM and resolves once it has exited; one still
 * running KILLED_AFTER_MS later is killed. A terminal's Ctrl-C reaches the apps too (the launcher's
 * process group), and this SIGTERM follows within a moment: the app takes the two for one request
 * (src/app/server.ts, SAME_REQUEST_MS) and goes on with its graceful shutdown.
 */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), KILLED_AFTER_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
