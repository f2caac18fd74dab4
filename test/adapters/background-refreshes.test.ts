import { expect } from 'chai';
import { BackgroundRefreshes } from '../../src/adapters/msal/background-refreshes.ts';

describe('BackgroundRefreshes', () => {
  it('lets one refresh run per account, and another start only 30 s after one failed', () => {
    let time = 0;
    const refreshes = new BackgroundRefreshes({ now: () => time });
    expect(refreshes.tryStart('alice')).to.equal(true);
    expect(refreshes.tryStart('alice'), 'one at a time').to.equal(false);
    expect(refreshes.tryStart('bob'), 'per account').to.equal(true);
    refreshes.finished('alice', false);
    refreshes.finished('bob', true);
    time += 29_999;
    expect(refreshes.tryStart('alice'), 'within 30 s of a failure').to.equal(false);
    expect(refreshes.tryStart('bob'), 'after a success, at once').to.equal(true);
    time += 1;
    expect(refreshes.tryStart('alice'), '30 s after the failure').to.equal(true);
  });

  it('waits at shutdown for the refreshes running, at most the time it is given', async () => {
    const refreshes = new BackgroundRefreshes();
    let done = false;
    refreshes.track(new Promise<void>((resolve) => setTimeout(() => resolve(void (done = true)), 50)));
    await refreshes.settled(1000);
    expect(done, 'waited for it').to.equal(true);

    refreshes.track(new Promise(() => {})); // never settles
    const started = performance.now();
    await refreshes.settled(100);
    expect(performance.now() - started).to.be.within(90, 500);
  });

  it('does not wait for a refresh that failed', async () => {
    const refreshes = new BackgroundRefreshes();
    const failing = Promise.reject(new Error('provider down'));
    failing.catch(() => {});
    refreshes.track(failing);
    const started = performance.now();
    await refreshes.settled(1000);
    expect(performance.now() - started).to.be.below(100);
  });
});
