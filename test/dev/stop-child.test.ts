import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { stopChild } from '../../src/dev/stop-child.ts';

/** A child that shuts down as the app does (src/app/server.ts): gracefully on a first signal, at once (exit 1) on a second. */
function appLikeChild(drainMs = 300): ChildProcess {
  const child = spawn(process.execPath, ['-e', `
    let signalled = false;
    const stop = () => {
      if (signalled) process.exit(1);
      signalled = true;
      setTimeout(() => process.exit(0), ${drainMs}); // draining
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
    process.stdout.write('ready');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  return child;
}

async function started(child: ChildProcess): Promise<void> {
  await once(child.stdout!, 'data');
}

describe('stopping the offline stack\'s apps', () => {
  it('lets an app the terminal\'s Ctrl-C reached finish its graceful shutdown, without a second signal', async () => {
    const child = appLikeChild();
    await started(child);
    child.kill('SIGINT'); // what the terminal sends the whole process group
    await stopChild(child, { signalled: true });
    expect(child.exitCode, 'exited by itself after draining').to.equal(0);
  });

  it('sends SIGTERM at once when the launcher alone was asked to stop', async () => {
    const child = appLikeChild();
    await started(child);
    const began = Date.now();
    await stopChild(child);
    expect(child.exitCode).to.equal(0);
    expect(Date.now() - began).to.be.below(2500);
  });

  it('lets an app whose graceful shutdown takes seconds finish it', async () => {
    const child = appLikeChild(4000);
    await started(child);
    child.kill('SIGINT');
    await stopChild(child, { signalled: true });
    expect(child.exitCode, 'exited by itself after draining').to.equal(0);
  }).timeout(10_000);
});
