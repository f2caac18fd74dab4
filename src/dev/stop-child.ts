import type { ChildProcess } from 'node:child_process';

/**
 * The longest an app of the offline stack is given to stop by itself before it is killed: its
 * graceful shutdown (src/app/server.ts) waits up to SHUTDOWN_GRACE_MS (10 s) for requests, then up
 * to twice HTTP_TIMEOUT_MS and a second (21 s) for refreshes running behind requests, then closes
 * its stores.
 */
const KILLED_AFTER_MS = 45_000;

/**
 * Stops one app of the offline stack and resolves once it has exited. A Ctrl-C in the terminal
 * sends SIGINT to the whole foreground process group, so the apps got it already when the launcher
 * did (`signalled`): they are then left to finish their graceful shutdown and sent no other
 * signal, because a second one makes an app exit at once without draining (src/app/server.ts).
 * Otherwise (SIGTERM to the launcher) each gets SIGTERM. Either way one still running
 * KILLED_AFTER_MS later is killed.
 */
export function stopChild(child: ChildProcess, options: { signalled?: boolean } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), KILLED_AFTER_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    if (!options.signalled) child.kill('SIGTERM');
  });
}
