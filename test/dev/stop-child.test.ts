import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { stopChild } from '../../src/dev/stop-child.ts';

/** A child that stops on SIGTERM after `drainMs`, as an app draining its requests. */
async function drainingChild(drainMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `
    process.on('SIGTERM', () => setTimeout(() => process.exit(0), ${drainMs}));
    process.stdout.write('ready');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

describe("stopping the offline stack's apps", () => {
  it('sends SIGTERM and waits for the app to finish its graceful shutdown, seconds if need be', async () => {
    const child = await drainingChild(2000);
    const began = Date.now();
    await stopChild(child);
    expect(child.exitCode, 'exited by itself').to.equal(0);
    expect(Date.now() - began).to.be.within(1900, 5000);
  }).timeout(10_000);

  it('resolves at once for an app that has already exited', async () => {
    const child = await drainingChild(0);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const began = Date.now();
    await stopChild(child);
    expect(Date.now() - began, 'no wait for an exit that already happened').to.be.below(500);
  });
});
