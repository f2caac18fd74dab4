import { expect } from 'chai';
import type { InvalidationListener } from '../../src/adapters/redis/redis-invalidations.ts';
import { TrackedCache } from '../../src/adapters/redis/tracked-cache.ts';

/** An invalidation channel the test drives, as Redis would. */
class FakeChannel {
  up = true;
  readonly listeners: InvalidationListener[] = [];
  usable = () => this.up;
  subscribe(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }
  invalidate(...keys: string[]): void {
    for (const listener of this.listeners) listener.keys(keys);
  }
  lose(): void {
    this.up = false;
    for (const listener of this.listeners) listener.lost();
  }
}

describe('values of Redis keys kept in memory', () => {
  let channel: FakeChannel;
  let cache: TrackedCache<string>;

  beforeEach(() => {
    channel = new FakeChannel();
    cache = new TrackedCache<string>({ channel, maxEntries: 2 });
  });

  it('keeps what a load read, and drops it when the key is invalidated', async () => {
    expect(await cache.load('k', async () => 'v1')).to.equal('v1');
    expect(cache.get('k')).to.equal('v1');
    channel.invalidate('k');
    expect(cache.get('k')).to.equal(undefined);
  });

  it('does not keep a value read before a change whose invalidation overtook the reply', async () => {
    // The reply (old value) comes on the command connection after the invalidation came on the channel's.
    const value = await cache.load('k', async () => {
      channel.invalidate('k');
      return 'old';
    });
    expect(value, 'this caller still gets what Redis answered').to.equal('old');
    expect(cache.has('k')).to.equal(false);
  });

  it('does not keep a value loaded while the channel was lost, nor serve anything until it is usable again', async () => {
    await cache.load('a', async () => 'kept');
    const loading = cache.load('b', async () => {
      channel.lose();
      return 'late';
    });
    expect(await loading).to.equal('late');
    expect([cache.has('a'), cache.has('b')]).to.deep.equal([false, false]);
    expect(await cache.load('c', async () => 'while down')).to.equal('while down');
    expect(cache.has('c')).to.equal(false);
    channel.up = true;
    await cache.load('c', async () => 'back');
    expect(cache.get('c')).to.equal('back');
  });

  it('keeps nothing for a key that does not exist', async () => {
    expect(await cache.load('gone', async () => undefined)).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('keeps at most its bound, dropping the least recently used', async () => {
    await cache.load('a', async () => 'A');
    await cache.load('b', async () => 'B');
    cache.get('a');
    await cache.load('c', async () => 'C');
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).to.deep.equal([true, false, true]);
  });
});
