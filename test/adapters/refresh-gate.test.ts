import { expect } from 'chai';
import { IdentityProviderUnavailable, InteractionRequired } from '../../src/domain/errors.ts';
import { RefreshGate, type RefreshLock } from '../../src/adapters/msal/refresh-gate.ts';

/** A lock shared by instances that expires as Redis's `SET NX PX` does. */
function expiringLock(): RefreshLock {
  const held = new Map<string, { holder: symbol; until: number }>();
  return {
    tryAcquire: async (accountId, ttlMs) => {
      const current = held.get(accountId);
      if (current && current.until > Date.now()) return undefined;
      const holder = Symbol('holder');
      held.set(accountId, { holder, until: Date.now() + ttlMs });
      const own = () => held.get(accountId)?.holder === holder && held.get(accountId)!.until > Date.now();
      return {
        extend: async (extendedTtlMs) => {
          if (!own()) return false;
          held.set(accountId, { holder, until: Date.now() + extendedTtlMs });
          return true;
        },
        release: async () => {
          if (held.get(accountId)?.holder === holder) held.delete(accountId);
        },
      };
    },
  };
}

describe('the refresh gate across instances', () => {
  it('never refreshes one account beside another instance, even when the refreshes fail and the waits run out', async () => {
    const lock = expiringLock();
    const instances = [0, 1, 2].map(() => new RefreshGate({ lock, lockTtlMs: 300 }));
    let running = 0;
    let mostAtOnce = 0;
    const refresh = async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 250));
      running--;
      throw new Error('the provider did not answer');
    };
    const outcomes = await Promise.allSettled(instances.map((gate) => gate.run('alice', async () => undefined, refresh)));
    expect(mostAtOnce, 'refreshes of one account at once').to.equal(1);
    const waitedOut = outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof IdentityProviderUnavailable);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).to.equal(true);
    expect(waitedOut.length, 'a request that waited out the lock answers as the provider unavailable').to.be.at.least(1);
  });

  it('does not refresh again when another instance refreshed and released the lock just before this one took it', async () => {
    const lock = expiringLock();
    const [first, second] = [0, 1].map(() => new RefreshGate({ lock, lockTtlMs: 300 }));
    let stored: string | undefined;
    let refreshes = 0;
    const cached = async () => stored;
    // The second instance found no usable token before the first stored its refresh; it asks the
    // gate once the first has released the lock, without having waited for it.
    expect(await first!.run('alice', cached, async () => (refreshes++, (stored = 'fresh')))).to.equal('fresh');
    expect(await second!.run('alice', cached, async () => (refreshes++, 'second refresh'))).to.equal('fresh');
    expect(refreshes, 'refreshes of one account').to.equal(1);
  });

  it('keeps the lock for a refresh that takes longer than its lifetime: the other instance waits for its result, never refreshes beside it', async () => {
    const lock = expiringLock();
    const [first, second] = [0, 1].map(() => new RefreshGate({ lock, lockTtlMs: 300 }));
    let refreshes = 0;
    let result: string | undefined;
    const slowRefresh = async () => {
      refreshes++;
      await new Promise((resolve) => setTimeout(resolve, 700)); // the provider's discovery, keys and token endpoint, each slow
      return (result = 'fresh');
    };
    const running = first!.run('alice', async () => result, slowRefresh);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const waiting = second!.run('alice', async () => result, async () => {
      refreshes++;
      return 'second refresh';
    });
    const outcomes = await Promise.allSettled([running, waiting]);
    expect(refreshes, 'refreshes of one account').to.equal(1);
    expect(outcomes[0]).to.deep.equal({ status: 'fulfilled', value: 'fresh' });
    // The waiter gives up after one lifetime (a 503) or finds the result: either way, no second refresh.
    expect(outcomes[1]!.status === 'rejected' ? outcomes[1]!.reason : outcomes[1]!.value).to.satisfy(
      (outcome: unknown) => outcome === 'fresh' || outcome instanceof IdentityProviderUnavailable,
    );
  });

  it('stops extending the lock of a refresh that never settles after four lifetimes, so other instances can refresh again', async () => {
    // Lifetimes of 300 ms, not less: each extension must run within one lifetime, which a loaded
    // machine's event loop missed with 60 ms (the lock lapsed before its first check).
    const lock = expiringLock();
    const gate = new RefreshGate({ lock, lockTtlMs: 300 });
    void gate.run('alice', async () => undefined, () => new Promise<string>(() => {})); // a call without a deadline, stuck
    await new Promise((resolve) => setTimeout(resolve, 750));
    expect(await lock.tryAcquire('alice', 300), 'extended past its first lifetime').to.equal(undefined);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await lock.tryAcquire('alice', 300), 'free once the extensions stopped and the last ran out').to.be.an('object');
  });

  it('takes over the lock of a holder that vanished just after taking it, though the wait began a moment later', async () => {
    const lock = expiringLock();
    await lock.tryAcquire('alice', 300); // taken, then the holder crashed
    await new Promise((resolve) => setTimeout(resolve, 10));
    const gate = new RefreshGate({ lock, lockTtlMs: 300 });
    expect(await gate.run('alice', async () => undefined, async () => 'fresh')).to.equal('fresh');
  });

  it('takes over the lock of a holder that vanished once it expires, and refreshes then', async () => {
    const lock = expiringLock();
    await lock.tryAcquire('alice', 200); // a holder that crashed without releasing
    const gate = new RefreshGate({ lock, lockTtlMs: 1000 });
    const began = Date.now();
    const token = await gate.run('alice', async () => undefined, async () => 'fresh');
    expect(token).to.equal('fresh');
    expect(Date.now() - began).to.be.within(150, 900);
  });

  it('fails the requests that waited for a refresh that could not reach the provider, at once, without trying their own', async () => {
    const gate = new RefreshGate({ lockTtlMs: 1000 });
    let attempts = 0;
    const refresh = async () => {
      attempts++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new IdentityProviderUnavailable('the provider did not answer');
    };
    const began = Date.now();
    const outcomes = await Promise.allSettled([0, 1, 2, 3, 4].map(() => gate.run('alice', async () => undefined, refresh)));
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof IdentityProviderUnavailable)).to.equal(true);
    expect(attempts).to.equal(1);
    expect(Date.now() - began, 'ms').to.be.below(300);
    expect(await gate.run('alice', async () => undefined, async () => 'fresh'), 'a request after them tries again').to.equal('fresh');
  });

  it('lets a request that waited for a refresh that failed otherwise (the refresh token refused) take what it needs or try its own', async () => {
    const gate = new RefreshGate({ lockTtlMs: 1000 });
    let attempts = 0;
    const refresh = async () => {
      attempts++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (attempts === 1) throw new InteractionRequired(['User.Read']);
      return 'fresh';
    };
    const outcomes = await Promise.allSettled([0, 1].map(() => gate.run('alice', async () => undefined, refresh)));
    expect(outcomes.map((outcome) => outcome.status)).to.deep.equal(['rejected', 'fulfilled']);
    expect(attempts).to.equal(2);
  });

  it('gives a request that waited for a failed refresh what is cached, if anything is', async () => {
    const gate = new RefreshGate({ lockTtlMs: 1000 });
    let cachedToken: string | undefined;
    const refresh = async () => {
      cachedToken = 'written by a refresh on another instance meanwhile';
      throw new IdentityProviderUnavailable('the provider did not answer');
    };
    const outcomes = await Promise.allSettled([0, 1].map(() => gate.run('alice', async () => cachedToken, refresh)));
    expect(outcomes[1]).to.deep.equal({ status: 'fulfilled', value: 'written by a refresh on another instance meanwhile' });
  });
});
