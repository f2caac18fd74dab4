import { expect } from 'chai';
import nock from 'nock';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { partitionViewReading } from '../../src/adapters/msal/partition-summary.ts';
import { partitionView, type PartitionView } from '../../src/adapters/msal/partition-view.ts';
import { ParsedPartitionCache, type PartitionChanges } from '../../src/adapters/partition-cache/parsed-partition-cache.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

/** A PartitionChanges the test drives, as Redis invalidations would. */
class FakeChanges implements PartitionChanges {
  listeners: { changed(accountId: string): void; lost(): void }[] = [];
  heard = true;
  listening(): boolean {
    return this.heard;
  }
  subscribe(listener: { changed(accountId: string): void; lost(): void }): void {
    this.listeners.push(listener);
  }
}

describe('parsed partitions kept in memory (a TokenStore decorator)', () => {
  const users = ['alice', 'bob', 'carol'].map((name) => fakeUser(name));
  let entra: FakeEntra;
  let store: MemoryTokenStore;
  let reads: number;

  const cacheOf = (maxEntries: number, changes?: PartitionChanges) =>
    new ParsedPartitionCache<PartitionView>({
      inner: store,
      reading: partitionViewReading(entra.clientId, entra.authority),
      maxEntries,
      changes,
    });
  /** Signs the user in; `reads` counts from then on (the sign-in reads the partition it replaces). */
  const signIn = async (user = users[0]!) => {
    const { accountId } = await signInThroughMsal(msalIdentityProvider(entra, store), entra, user);
    reads = 0;
    return accountId;
  };

  beforeEach(() => {
    blockNetwork();
    entra = new FakeEntra().install();
    store = new MemoryTokenStore();
    reads = 0;
    const read = store.read.bind(store);
    store.read = (accountId) => {
      reads++;
      return read(accountId);
    };
  });
  afterEach(() => nock.cleanAll());

  it('parses a partition once while its version stays, and again after it changes', async () => {
    const accountId = await signIn();
    const cache = cacheOf(10);
    const first = await cache.current(accountId);
    expect(await cache.current(accountId)).to.equal(first);
    expect(reads).to.equal(1);
    const partition = (await store.read(accountId))!;
    await store.write(accountId, partition.data, partition.version); // a refresh by another process
    const second = await cache.current(accountId);
    expect(second).to.not.equal(first);
    expect(second!.version).to.equal(await store.version(accountId));
  });

  it('holds no copy once the partition is removed through it (a sign-out on this instance)', async () => {
    const accountId = await signIn();
    const cache = cacheOf(10);
    await cache.current(accountId);
    expect(cache.holds(accountId)).to.equal(true);
    await cache.remove(accountId);
    expect(cache.holds(accountId), 'evicted at once, before any later use').to.equal(false);
    expect(await cache.current(accountId)).to.equal(undefined);
  });

  it('drops its copy when the partition is written through it', async () => {
    const accountId = await signIn();
    const cache = cacheOf(10);
    const before = (await cache.current(accountId))!;
    expect(await cache.write(accountId, (await store.read(accountId))!.data, before.version)).to.equal(true);
    expect(cache.holds(accountId)).to.equal(false);
  });

  it('still sees a removal made behind its back (another process on the same SQLite file)', async () => {
    const accountId = await signIn();
    const cache = cacheOf(10);
    expect(await cache.current(accountId)).to.not.equal(undefined);
    await store.remove(accountId);
    expect(await cache.current(accountId)).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it("drops the copy of a partition the memory store's expiry sweep deleted", async () => {
    let time = Date.now();
    store = new MemoryTokenStore({ tokenTtlSeconds: 60, now: () => time });
    const [alice, bob] = [await signIn(users[0]), await signIn(users[1])];
    const cache = cacheOf(10, store);
    await cache.current(alice);
    time += 30_000;
    await store.keepUntil(bob, time + 60_000);
    await cache.current(bob);

    time += 31_000;
    expect(await store.sweepExpired()).to.equal(1);

    expect([cache.holds(alice), cache.holds(bob)]).to.deep.equal([false, true]);
  });

  it('drops a copy when another instance changes the partition, and everything when changes may have been missed', async () => {
    const [alice, bob] = [await signIn(users[0]), await signIn(users[1])];
    const changes = new FakeChanges();
    const cache = cacheOf(10, changes);
    await cache.current(alice);
    await cache.current(bob);
    changes.listeners.forEach((listener) => listener.changed(alice));
    expect([cache.holds(alice), cache.holds(bob)]).to.deep.equal([false, true]);
    changes.listeners.forEach((listener) => listener.lost());
    expect(cache.size).to.equal(0);
  });

  it('keeps nothing while changes are not heard (the channel is down), and keeps again once they are', async () => {
    const [alice, bob] = [await signIn(users[0]), await signIn(users[1])];
    const changes = new FakeChanges();
    const cache = cacheOf(10, changes);
    changes.heard = false;
    changes.listeners.forEach((listener) => listener.lost());
    expect(await cache.current(alice)).to.not.equal(undefined);
    expect(cache.holds(alice), 'not kept: its removal elsewhere could go unheard, and it would linger').to.equal(false);

    // A read that starts while changes are heard and ends while they are not is not kept either.
    changes.heard = true;
    const read = store.read.bind(store);
    store.read = async (id) => {
      changes.heard = false;
      return read(id);
    };
    expect(await cache.current(bob)).to.not.equal(undefined);
    expect(cache.holds(bob)).to.equal(false);

    store.read = read;
    changes.heard = true;
    await cache.current(alice);
    expect(cache.holds(alice), 'kept again').to.equal(true);
  });

  it('forgets a read that failed, and keeps the next one', async () => {
    const accountId = await signIn();
    const cache = cacheOf(10, new FakeChanges());
    const read = store.read.bind(store);
    store.read = async () => {
      throw new Error('the store is down');
    };
    expect(await cache.current(accountId).catch((e: unknown) => (e as Error).message)).to.equal('the store is down');
    store.read = read;
    expect(await cache.current(accountId)).to.not.equal(undefined);
    expect(cache.holds(accountId)).to.equal(true);
  });

  it('does not keep a partition whose account was evicted while it was being read', async () => {
    const accountId = await signIn();
    const changes = new FakeChanges();
    const cache = cacheOf(10, changes);
    const read = store.read.bind(store);
    store.read = async (id) => {
      const partition = await read(id);
      changes.listeners.forEach((listener) => listener.changed(id)); // a sign-out elsewhere, mid-read
      return partition;
    };
    expect(await cache.current(accountId)).to.not.equal(undefined); // this request read it before the change
    expect(cache.holds(accountId)).to.equal(false);
  });

  it('keeps at most its bound, dropping the least recently used', async () => {
    const accounts = [];
    for (const user of users) accounts.push(await signIn(user));
    const cache = cacheOf(2);
    await cache.current(accounts[0]!);
    await cache.current(accounts[1]!);
    await cache.current(accounts[0]!); // alice used again: bob is now the oldest
    await cache.current(accounts[2]!);
    expect(cache.size).to.equal(2);
    reads = 0;
    await cache.current(accounts[0]!);
    expect(reads, 'alice still in memory').to.equal(0);
    await cache.current(accounts[1]!);
    expect(reads, 'bob was dropped').to.equal(1);
  });

  it('keeps nothing with a bound of 0', async () => {
    const accountId = await signIn();
    const cache = cacheOf(0);
    expect(await cache.current(accountId)).to.not.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('reads a partition written through it from its summary alone, and gets the view of the whole partition', async () => {
    const accountId = await signIn();
    const { data, version } = (await store.read(accountId))!;
    await cacheOf(10).write(accountId, data, version); // as the app writes: through the cache
    const written = (await store.read(accountId))!;
    reads = 0;

    const view = await cacheOf(10).current(accountId);

    expect(reads, 'the data was not read').to.equal(0);
    expect(view).to.deep.equal(partitionView(written.data, written.version, accountId, entra.clientId));
    expect(view!.accessTokens).to.have.lengthOf(1);
  });

  it('reads the data of a partition without a summary, or with one it cannot read', async () => {
    const accountId = await signIn(); // written straight to the store: no summary
    expect((await store.readSummary(accountId))?.summary).to.equal(undefined);
    reads = 0;
    expect((await cacheOf(10).current(accountId))?.accessTokens).to.have.lengthOf(1);
    expect(reads).to.equal(1);

    const { data, version } = (await store.read(accountId))!;
    await store.write(accountId, data, version, '{"format":99}');
    reads = 0;
    expect((await cacheOf(10).current(accountId))?.accessTokens).to.have.lengthOf(1);
    expect(reads).to.equal(1);
  });

  it('never keeps refresh tokens in memory', async () => {
    const accountId = await signIn();
    const cache = cacheOf(10);
    await cache.current(accountId);
    expect(JSON.stringify(await cache.lastChecked(accountId))).to.not.match(/rt\./);
  });
});
