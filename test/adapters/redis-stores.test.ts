import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { RedisReplayGuard } from '../../src/adapters/redis/redis-replay-guard.ts';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { describeReplayGuardContract } from './replay-guard.contract.ts';
import { describeSessionStoreContract } from './session-store.contract.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('Redis stores', () => {
  let redis: Redis;
  let prefixes: string[] = [];
  /** Every store gets its own key prefix, so runs never see each other's keys. */
  const freshPrefix = () => {
    const prefix = `test:${randomUUID()}:`;
    prefixes.push(prefix);
    return prefix;
  };

  before(async () => {
    redis = connectRedis({ url: REDIS_URL });
    await redisReady(redis);
  });

  afterEach(async () => {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    prefixes = [];
  });

  after(async () => {
    await redis.quit();
  });

  describeTokenStoreContract(
    'redis',
    ({ now }) => new RedisTokenStore({ redis, keyPrefix: freshPrefix(), tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now }),
  );
  describeSessionStoreContract('redis', ({ now }) => new RedisSessionStore({ redis, keyPrefix: freshPrefix(), now }));
  describeReplayGuardContract('redis', ({ now }) => new RedisReplayGuard({ redis, keyPrefix: freshPrefix(), now }));

  describe('in Redis itself', () => {
    let prefix: string;

    beforeEach(() => {
      prefix = freshPrefix();
    });

    it('lets Redis evict a token partition ttl after a sign-in wrote it', async () => {
      await new RedisTokenStore({ redis, keyPrefix: prefix, tokenTtlSeconds: 3600 }).write('alice', 'tokens');

      const pttl = await redis.pttl(`${prefix}tokens:alice`);
      expect(pttl).to.be.greaterThan(0).and.at.most(3_600_000);
    });

    it('reads no summary left behind by an instance of an earlier release that rewrote the data (a rolling upgrade)', async () => {
      const store = new RedisTokenStore({ redis, keyPrefix: prefix, tokenTtlSeconds: 3600 });
      const key = `${prefix}tokens:alice`;
      await store.write('alice', 'tokens', undefined, 'summary of tokens');
      expect((await store.readSummary('alice'))?.summary).to.equal('summary of tokens');

      // What the earlier release's write script does on a refresh: data and version, no summary field.
      await redis.hset(key, 'data', 'refreshed tokens', 'version', 'written-by-an-earlier-release');

      expect(await store.readSummary('alice')).to.deep.equal({ summary: undefined, version: 'written-by-an-earlier-release' });
      expect(await store.read('alice')).to.deep.equal({ data: 'refreshed tokens', version: 'written-by-an-earlier-release' });
    });

    it("moves Redis's own eviction with keepUntil, and leaves it alone on a refresh", async () => {
      const store = new RedisTokenStore({ redis, keyPrefix: prefix, tokenTtlSeconds: 3600 });
      const key = `${prefix}tokens:alice`;
      await store.write('alice', 'tokens');

      await store.keepUntil('alice', Date.now() + 7_200_000);
      expect(await redis.pttl(key)).to.be.greaterThan(7_100_000).and.at.most(7_200_000);
      const { version } = (await store.read('alice'))!;
      expect(await store.write('alice', 'refreshed', version)).to.equal(true);
      expect(await redis.pttl(key), 'a refresh keeps it').to.be.greaterThan(7_100_000);

      await store.keepUntil('nobody', Date.now() + 7_200_000);
      expect(await redis.exists(`${prefix}tokens:nobody`), 'nothing created').to.equal(0);
    });

    it('lets Redis evict a session ttl after it was saved, and keeps its index sets at least that long', async () => {
      const sessions = new RedisSessionStore({ redis, keyPrefix: prefix });
      await sessions.set('s1', {}, { sid: 'sid-A', subject: 'sub-1' }, 60_000);
      await sessions.set('s2', {}, { sid: 'sid-A' }, 5_000);

      const sessionTtl = await redis.pttl(`${prefix}session:s1`);
      expect(sessionTtl).to.be.greaterThan(0).and.at.most(60_000);
      expect(await redis.pttl(`${prefix}sid:sid-A`)).to.be.greaterThan(55_000).and.at.most(60_000);
      expect(await redis.pttl(`${prefix}subject:sub-1`)).to.be.greaterThan(0).and.at.most(60_000);
    });

    it('reads a session whose stored text is no JSON object (a damaged key) as data of no known shape (the session middleware deletes it), not as an error', async () => {
      const sessions = new RedisSessionStore({ redis, keyPrefix: prefix });
      for (const [i, text] of ['not json', '[1]', 'null', '"text"'].entries()) {
        await sessions.set(`s${i}`, { n: 1 }, { sid: `sid-${i}` }, 60_000);
        await redis.hset(`${prefix}session:s${i}`, 'data', text);
        expect(await sessions.get(`s${i}`), text).to.deep.equal({});
      }
    });

    it('removes a destroyed session from the sid index set', async () => {
      const sessions = new RedisSessionStore({ redis, keyPrefix: prefix });
      await sessions.set('s1', {}, { sid: 'sid-A' }, 60_000);
      await sessions.set('s2', {}, { sid: 'sid-A' }, 60_000);
      expect((await redis.smembers(`${prefix}sid:sid-A`)).sort()).to.deep.equal(['s1', 's2']);

      await sessions.destroy('s1');

      expect(await redis.smembers(`${prefix}sid:sid-A`)).to.deep.equal(['s2']);
    });

    it('drops index entries of sessions Redis has evicted, even when the id is reused under another sid', async () => {
      const sessions = new RedisSessionStore({ redis, keyPrefix: prefix });
      await sessions.set('s1', {}, { sid: 'sid-A', accountId: 'acct-1' }, 60_000);
      await redis.del(`${prefix}session:s1`); // what Redis does when the hash's TTL runs out
      await sessions.set('s1', {}, { sid: 'sid-B', accountId: 'acct-2' }, 60_000);

      expect(await sessions.findBySid('sid-A')).to.deep.equal([]);
      expect(await redis.exists(`${prefix}sid:sid-A`)).to.equal(0);
      expect(await sessions.findBySid('sid-B')).to.deep.equal([{ id: 's1', accountId: 'acct-2' }]);
    });

    it('refuses a stale compare-and-set from another app instance with its own connection', async () => {
      const otherRedis = connectRedis({ url: REDIS_URL });
      try {
        await redisReady(otherRedis);
        const instanceA = new RedisTokenStore({ redis, keyPrefix: prefix, tokenTtlSeconds: 3600 });
        const instanceB = new RedisTokenStore({ redis: otherRedis, keyPrefix: prefix, tokenTtlSeconds: 3600 });
        await instanceA.write('alice', 'initial');
        const readByA = await instanceA.read('alice');
        const readByB = await instanceB.read('alice');
        expect(readByB).to.deep.equal(readByA);

        expect(await instanceB.write('alice', 'refreshed-by-B', readByB?.version)).to.equal(true);
        expect(await instanceA.write('alice', 'refreshed-by-A', readByA?.version)).to.equal(false);
        expect((await instanceA.read('alice'))?.data).to.equal('refreshed-by-B');

        const beforeSignOut = await instanceB.read('alice');
        await instanceA.remove('alice'); // sign-out handled by A while B's silent refresh is in flight
        expect(await instanceB.write('alice', 'resurrected', beforeSignOut?.version)).to.equal(false);
        expect(await instanceA.read('alice')).to.equal(undefined);
      } finally {
        otherRedis.disconnect();
      }
    });

    it('reports a Redis error reply as StoreUnavailable with the original as cause', async () => {
      await redis.set(`${prefix}tokens:alice`, 'not a hash');
      const store = new RedisTokenStore({ redis, keyPrefix: prefix, tokenTtlSeconds: 3600 });

      const error = await store.read('alice').then(
        () => expect.fail('read should have failed'),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(StoreUnavailable);
      const { cause } = error as StoreUnavailable;
      expect(cause).to.be.instanceOf(Error).with.property('message').that.matches(/WRONGTYPE/);
    });
  });
});
