import { expect } from 'chai';
import { connectRedis, reconnectOnReadOnly, redisReady, refusedDatabase } from '../../src/adapters/redis/redis-connection.ts';

describe('the Redis connection', () => {
  it('reconnects on READONLY (a failover left it on a replica), and on no other error', () => {
    expect(reconnectOnReadOnly(new Error("READONLY You can't write against a read only replica."))).to.equal(true);
    for (const message of ['NOSCRIPT No matching script', 'BUSY Redis is busy', 'ERR wrong number of arguments', 'Command timed out']) {
      expect(reconnectOnReadOnly(new Error(message)), message).to.equal(false);
    }
    // Not connected to anything: only the options are looked at.
    const redis = connectRedis({ url: 'redis://127.0.0.1:1' });
    try {
      expect(redis.options.reconnectOnError).to.equal(reconnectOnReadOnly);
    } finally {
      redis.disconnect();
    }
  });

  it("says when Redis refuses the database REDIS_URL names, which ioredis would only report and then work in database 0", async () => {
    for (const [url, refused] of [['redis://127.0.0.1:6379/99', true], ['redis://127.0.0.1:6379/1', false], ['redis://127.0.0.1:6379', false]] as const) {
      const redis = connectRedis({ url });
      try {
        await redisReady(redis);
        const refusal = await refusedDatabase(redis, url);
        if (refused) expect(refusal, url).to.match(/^Redis refuses database 99: ERR DB index is out of range/);
        else expect(refusal, url).to.equal(undefined);
      } finally {
        redis.disconnect();
      }
    }
  });
});
