import { randomUUID } from 'node:crypto';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { holdsKeysUnder, markPrefixInUse, PREFIX_IN_USE_KEY } from '../../src/adapters/redis/redis-key-prefix.ts';
import { waitUntil } from '../support/wait-until.ts';

/** `<prefix>app`: how the operator's command tells the app's prefix, with nobody signed in, from one no app uses. */
describe("an instance's mark on its Redis key prefix", () => {
  it('is written at once, and again after a FLUSHDB or FLUSHALL took it from under the running instance', async () => {
    const prefix = `test-prefix-mark:${randomUUID()}:`;
    const redis = connectRedis({ url: 'redis://127.0.0.1:6379' });
    const other = connectRedis({ url: 'redis://127.0.0.1:6379' });
    try {
      await Promise.all([redisReady(redis), redisReady(other)]);
      markPrefixInUse(redis, prefix, 50);
      await waitUntil(async () => (await other.exists(`${prefix}${PREFIX_IN_USE_KEY}`)) === 1, 2000, 'the mark was not written');
      await other.del(`${prefix}${PREFIX_IN_USE_KEY}`); // as a flush of the database takes it (this test may not flush a shared Redis)
      await waitUntil(async () => holdsKeysUnder(other, prefix), 2000, 'the mark did not come back');
    } finally {
      redis.disconnect();
      await other.del(`${prefix}${PREFIX_IN_USE_KEY}`);
      other.disconnect();
    }
  });
});
