import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { RefreshLock } from '../../src/adapters/msal/refresh-gate.ts';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { RedisRefreshLock } from '../../src/adapters/redis/redis-refresh-lock.ts';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteRefreshLock } from '../../src/adapters/sqlite/sqlite-refresh-lock.ts';
import { sweepExpired } from '../../src/adapters/sqlite/sqlite-expiry-sweeper.ts';
import { ContractClock } from './contract-clock.ts';

/** Two processes' locks on one store (two connections), and a way to let time pass for both. */
interface LockPair {
  readonly first: RefreshLock;
  readonly second: RefreshLock;
  /** Lets `ms` pass as the store's expiry sees it. */
  pass(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** The RefreshLock contract (src/adapters/msal/refresh-gate.ts), each pair two processes on one store. */
function describeRefreshLockContract(name: string, makePair: () => Promise<LockPair>) {
  describe(`RefreshLock contract: ${name}`, () => {
    let locks: LockPair;
    const TTL_MS = 200;

    beforeEach(async () => {
      locks = await makePair();
    });
    afterEach(() => locks?.close());

    it("refuses an account's lock to a second holder until the first releases it", async () => {
      const held = await locks.first.tryAcquire('alice', TTL_MS);
      expect(held, 'taken').to.be.an('object');
      expect(await locks.second.tryAcquire('alice', TTL_MS), 'held by the other process').to.equal(undefined);
      expect(await locks.first.tryAcquire('alice', TTL_MS), 'held, even for the same process').to.equal(undefined);
      await held!.release();
      const again = await locks.second.tryAcquire('alice', TTL_MS);
      expect(again, 'free once released').to.be.an('object');
      await again!.release();
    });

    it("keeps accounts apart: bob's lock is free while alice's is held", async () => {
      const alice = await locks.first.tryAcquire('alice', TTL_MS);
      const bob = await locks.second.tryAcquire('bob', TTL_MS);
      expect(alice).to.be.an('object');
      expect(bob).to.be.an('object');
      await alice!.release();
      await bob!.release();
    });

    it('lets another holder take a lock whose holder vanished, once it has expired', async () => {
      expect(await locks.first.tryAcquire('alice', TTL_MS)).to.be.an('object');
      await locks.pass(TTL_MS + 50);
      const taken = await locks.second.tryAcquire('alice', TTL_MS);
      expect(taken, 'taken over').to.be.an('object');
      await taken!.release();
    });

    it("does not let a holder whose lock expired release the new holder's", async () => {
      const late = await locks.first.tryAcquire('alice', TTL_MS);
      await locks.pass(TTL_MS + 50);
      const current = await locks.second.tryAcquire('alice', TTL_MS);
      expect(current).to.be.an('object');
      await late!.release();
      expect(await locks.first.tryAcquire('alice', TTL_MS), "the new holder's lock stays").to.equal(undefined);
      await current!.release();
    });

    it('keeps a lock its holder extends past its first lifetime', async () => {
      const held = await locks.first.tryAcquire('alice', TTL_MS);
      await locks.pass(TTL_MS / 2);
      expect(await held!.extend(TTL_MS), 'still its own').to.equal(true);
      await locks.pass(TTL_MS / 2 + 50);
      expect(await locks.second.tryAcquire('alice', TTL_MS), 'past the first lifetime, extended').to.equal(undefined);
      await locks.pass(TTL_MS);
      const taken = await locks.second.tryAcquire('alice', TTL_MS);
      expect(taken, 'once the extension ran out, a holder that stopped extending loses it').to.be.an('object');
      await taken!.release();
    });

    it("does not let a holder whose lock was taken over extend the new holder's", async () => {
      const late = await locks.first.tryAcquire('alice', TTL_MS);
      await locks.pass(TTL_MS + 50);
      const current = await locks.second.tryAcquire('alice', TTL_MS);
      expect(await late!.extend(10 * TTL_MS), 'no longer its own').to.equal(false);
      await current!.release();
      expect(await locks.first.tryAcquire('alice', TTL_MS), 'released by its holder, not held on by the late one').to.be.an('object');
    });

    it('gives the lock to exactly one of many concurrent takers', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? locks.first : locks.second).tryAcquire('alice', TTL_MS)));
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });
}

describe('refresh locks', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'refresh-locks-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const databases: Database.Database[] = [];
  afterEach(() => {
    for (const db of databases.splice(0)) db.close();
  });
  /** Two connections on one new file, as two app processes on one host have. */
  function twoConnections(): [Database.Database, Database.Database] {
    const file = join(dir, `${randomUUID()}.db`);
    const pair: [Database.Database, Database.Database] = [openSqliteDatabase(file), openSqliteDatabase(file)];
    databases.push(...pair);
    return pair;
  }

  describeRefreshLockContract('sqlite, two connections on one file', async () => {
    const clock = new ContractClock();
    const [a, b] = twoConnections();
    return {
      first: new SqliteRefreshLock({ db: a, now: clock.now }),
      second: new SqliteRefreshLock({ db: b, now: clock.now }),
      pass: async (ms) => clock.advance(ms),
      close: async () => {},
    };
  });

  describeRefreshLockContract('redis, two connections', async () => {
    const keyPrefix = `test:refresh-locks:${randomUUID()}:`;
    const connections: Redis[] = [connectRedis({ url: 'redis://127.0.0.1:6379' }), connectRedis({ url: 'redis://127.0.0.1:6379' })];
    await Promise.all(connections.map((redis) => redisReady(redis)));
    return {
      first: new RedisRefreshLock({ redis: connections[0]!, keyPrefix }),
      second: new RedisRefreshLock({ redis: connections[1]!, keyPrefix }),
      // Redis expires keys by its own clock (PX).
      pass: (ms) => sleep(ms),
      close: async () => {
        const keys = await connections[0]!.keys(`${keyPrefix}*`);
        if (keys.length) await connections[0]!.del(...keys);
        for (const redis of connections) redis.disconnect();
      },
    };
  });

  it('SQLite: the expiry sweep deletes locks left by a process that stopped, and only those', async () => {
    const clock = new ContractClock();
    const [db] = twoConnections();
    const lock = new SqliteRefreshLock({ db, now: clock.now });
    expect(await lock.tryAcquire('left-by-a-crash', 1000)).to.be.an('object');
    clock.advance(1001);
    expect(await lock.tryAcquire('held', 1000)).to.be.an('object');
    await sweepExpired(db, clock.time);
    const rows = db.prepare('SELECT account_id FROM refresh_locks').pluck().all();
    expect(rows).to.deep.equal(['held']);
  });
});
