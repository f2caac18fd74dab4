import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';

/** Runs the operation and returns how it failed and how long that took. */
async function failureOf(operation: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await operation();
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
  throw new Error('expected the operation to fail while Redis is down');
}

async function eventually<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe('Redis stores when Redis goes away and comes back', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let redis: Redis | undefined;
  const connectionErrors: Error[] = [];

  before(async () => {
    port = await freePort();
    server = await startRedisServer(port);
  });

  afterEach(() => {
    redis?.disconnect();
    redis = undefined;
  });

  after(async () => {
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGCONT');
    await killRedisServer(server);
  });

  it('fails fast with StoreUnavailable while Redis is down, and works again by itself when it is back', async () => {
    redis = connectRedis({ url: `redis://127.0.0.1:${port}`, onError: (error) => connectionErrors.push(error) });
    await redisReady(redis);
    const tokens = new RedisTokenStore({ redis, keyPrefix: 'app:', tokenTtlSeconds: 3600 });
    const sessions = new RedisSessionStore({ redis, keyPrefix: 'app:' });
    await tokens.write('alice', 'tokens');
    await sessions.set('s1', { n: 1 }, { sid: 'sid-A', accountId: 'alice' }, 60_000);

    await killRedisServer(server);
    const failures = await Promise.all([
      failureOf(() => tokens.read('alice')),
      failureOf(() => tokens.write('alice', 'refreshed')),
      failureOf(() => sessions.findBySid('sid-A')),
      failureOf(() => sessions.findByAccount('alice')),
    ]);

    for (const { error, elapsedMs } of failures) {
      expect(error).to.be.instanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).cause).to.be.instanceOf(Error);
      expect(elapsedMs).to.be.lessThan(3000);
    }

    await sleep(600); // stay down through a few reconnect attempts
    server = await startRedisServer(port); // same port, empty: --save "" kept nothing
    await eventually(() => tokens.write('alice', 'after-restart'), 5000);
    expect((await tokens.read('alice'))?.data).to.equal('after-restart');
    await sessions.set('s1', { n: 2 }, { sid: 'sid-A', accountId: 'alice' }, 60_000);
    expect(await sessions.findBySid('sid-A')).to.deep.equal([{ id: 's1', accountId: 'alice' }]);
    expect(connectionErrors, 'connection errors go to onError').to.not.be.empty;
  });

  it('times out with StoreUnavailable when Redis hangs, and answers again when it resumes', async () => {
    redis = connectRedis({ url: `redis://127.0.0.1:${port}` });
    await redisReady(redis);
    const tokens = new RedisTokenStore({ redis, keyPrefix: 'app:', tokenTtlSeconds: 3600 });
    await tokens.write('bob', 'tokens');

    server?.kill('SIGSTOP'); // the connection stays open but nothing answers
    try {
      const { error, elapsedMs } = await failureOf(() => tokens.read('bob'));
      expect(error).to.be.instanceOf(StoreUnavailable);
      expect(elapsedMs).to.be.lessThan(3000);
    } finally {
      server?.kill('SIGCONT');
    }

    expect((await eventually(() => tokens.read('bob'), 5000))?.data).to.equal('tokens');
  });
});
