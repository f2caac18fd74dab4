import type { ChildProcess } from 'node:child_process';

/** How long a child that the terminal's Ctrl-C reached too is given to stop by itself. */
const OWN_STOP_MS = 3000;
/** How long a child has after SIGTERM before it is killed. */
const FORCED_AFTER_MS = 5000;

/**
 * Stops one app of the offline stack and resolves once it has exited. A Ctrl-C in the terminal
 * sends SIGINT to the whole foreground process group, so the apps got it already when the launcher
 * did (`signalled`): they are then left to finish their graceful shutdown, because a second signal
 * makes an app exit at once without draining (src/app/server.ts). A child still running after
 * OWN_STOP_MS (the SIGINT went to the launcher alone, say) gets SIGTERM, its first signal; one still
 * running FORCED_AFTER_MS later is killed.
 */
export function stopChild(child: ChildProcess, options: { signalled?: boolean } = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const terminate = () => {
      timers.push(setTimeout(() => child.kill('SIGKILL'), FORCED_AFTER_MS));
      child.kill('SIGTERM');
    };
    child.once('exit', () => {
      for (const timer of timers) clearTimeout(timer);
      resolve();
    });
    if (options.signalled) timers.push(setTimeout(terminate, OWN_STOP_MS));
    else terminate();
  });
}
