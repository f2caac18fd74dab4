import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { guarded } from '../../src/adapters/redis/redis-store-error.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';

describe('a Redis store operation', () => {
  it('fails with StoreUnavailable at its deadline when its commands together take longer, though each alone is within it', async () => {
    const steps: string[] = [];
    const started = performance.now();
    const error = await guarded(300, async () => {
      await sleep(200); // first command, within the deadline on its own
      steps.push('first');
      await sleep(200); // second command, also within the deadline on its own
      steps.push('second');
    }).catch((e: unknown) => e);
    const elapsedMs = performance.now() - started;

    expect(error).to.be.instanceOf(StoreUnavailable);
    expect(steps).to.deep.equal(['first']);
    expect(elapsedMs).to.be.at.least(290).and.below(1000);
  });

  it('resolves with the result of an operation that finishes in time', async () => {
    expect(await guarded(1000, async () => 'ok')).to.equal('ok');
  });

  it('rethrows a failure as StoreUnavailable with the original as cause, even one thrown before any command', async () => {
    const original = new Error('WRONGTYPE');
    const failing = await guarded(1000, () => Promise.reject(original)).catch((e: unknown) => e);
    const throwing = await guarded(1000, () => {
      throw original;
    }).catch((e: unknown) => e);

    for (const error of [failing, throwing]) {
      expect(error).to.be.instanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).cause).to.equal(original);
    }
  });
});
