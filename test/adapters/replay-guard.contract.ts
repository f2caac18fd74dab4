import { expect } from 'chai';
import { ContractClock } from './contract-clock.ts';
import type { ReplayGuard } from '../../src/ports/replay-guard.port.ts';

/** The ReplayGuard contract (src/ports/replay-guard.port.ts), run against every adapter. */
export function describeReplayGuardContract(name: string, makeGuard: (clock: { now: () => number }) => ReplayGuard | Promise<ReplayGuard>) {
  describe(`ReplayGuard contract: ${name}`, () => {
    let clock: ContractClock;
    let guard: ReplayGuard;

    beforeEach(async () => {
      clock = new ContractClock();
      guard = await makeGuard(clock);
    });

    it('accepts an id the first time and refuses it afterwards', async () => {
      expect(await guard.claim('jti-1', clock.time + 60_000)).to.equal(true);
      expect(await guard.claim('jti-1', clock.time + 60_000)).to.equal(false);
      expect(await guard.claim('jti-2', clock.time + 60_000)).to.equal(true);
    });

    it('may accept an id again once it has expired', async () => {
      expect(await guard.claim('jti-1', clock.time + 60_000)).to.equal(true);
      clock.advance(60_001);
      expect(await guard.claim('jti-1', clock.time + 60_000)).to.equal(true);
      expect(await guard.claim('jti-1', clock.time + 60_000)).to.equal(false);
    });

    it('tells whether an id is claimed, without claiming it', async () => {
      expect(await guard.isClaimed('jti-1')).to.equal(false);
      expect(await guard.isClaimed('jti-1'), 'asking does not claim').to.equal(false);
      expect(await guard.claim('jti-1', clock.time + 60_000)).to.equal(true);
      expect(await guard.isClaimed('jti-1')).to.equal(true);
      clock.advance(60_001);
      expect(await guard.isClaimed('jti-1'), 'expired').to.equal(false);
    });

    it('lets exactly one of many concurrent claims of an id win', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => guard.claim('jti-race', clock.time + 60_000)));
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });
}
