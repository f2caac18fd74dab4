import { expect } from 'chai';
import { startDownstreamStub } from '../bench/children.ts';

/**
 * The bench's child processes stop when asked: one that ignored the parent's `stop` was killed only
 * after the 60 s the parent allows a Redis bench server to delete its keys, and a `--quick` run took
 * 148 s instead of its 2 minutes at most.
 */
describe('the bench child processes', () => {
  it('stops the downstream stub when asked, not when the parent gives up on it', async () => {
    const stub = await startDownstreamStub();
    const began = Date.now();
    await stub.stop();
    expect(Date.now() - began, 'ms to stop').to.be.below(10_000);
    expect(stub.process.exitCode).to.equal(0);
  });
});
