import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { RedisReplayGuard } from '../../src/adapters/redis/redis-replay-guard.ts';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { freePort } from '../e2e/support/free-port.ts';
import { killRedisServer, startRedisServer } from '../support/redis-server.ts';

interface Outcome {
  readonly error: unknown;
  readonly elapsedMs: number;
}

/** Starts the operation after `delayMs` and reports how it ended and how long it took from its own start. */
async function outcomeOf(delayMs: number, operation: () => Promise<unknown>): Promise<Outcome> {
  await sleep(delayMs);
  const started = performance.now();
  try {
    await operation();
    return { error: undefined, elapsedMs: performance.now() - started };
  } catch (error) {
    return { error, elapsedMs: performance.now() - started };
  }
}

describe('Redis stores when Redis freezes (connection open, no answers)', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let redis: Redis | undefined;

  beforeEach(async () => {
    port = await freePort();
    server = await startRedisServer(port);
  });

  afterEach(async () => {
    redis?.disconnect();
    redis = undefined;
    server?.kill('SIGCONT');
    await killRedisServer(server);
  });

  it('fails every operation with StoreUnavailable within 2 s of its start, even when it starts while earlier commands are stuck', async () => {
    redis = connectRedis({ url: `redis://127.0.0.1:${port}` });
    await redisReady(redis);
    const tokens = new RedisTokenStore({ redis, keyPrefix: 'app:', tokenTtlSeconds: 3600 });
    const sessions = new RedisSessionStore({ redis, keyPrefix: 'app:' });
    const replay = new RedisReplayGuard({ redis, keyPrefix: 'app:' });
    await tokens.write('alice', 'tokens');
    await sessions.set('s1', { n: 1 }, { sid: 'sid-A', accountId: 'alice' }, 60_000);

    server!.kill('SIGSTOP');
    // Requests keep arriving while the first commands hang: waves 0.3 s apart over 1.8 s.
    const operations: Array<() => Promise<unknown>> = [
      () => sessions.get('s1'),
      () => tokens.version('alice'),
      () => tokens.read('alice'),
      () => tokens.write('alice', 'refreshed', 'some-version'),
      () => sessions.update('s1', { n: 2 }, { sid: 'sid-A' }, 60_000),
      () => sessions.findBySid('sid-A'),
      () => tokens.remove('alice'),
      () => replay.claim('jti-1', Date.now() + 60_000),
    ];
    const outcomes = await Promise.all(
      [0, 300, 600, 900, 1200, 1500, 1800].flatMap((delayMs) => operations.map((operation) => outcomeOf(delayMs, operation))),
    );

    const slowest = Math.max(...outcomes.map(({ elapsedMs }) => elapsedMs));
    console.log(`      ${outcomes.length} operations against a frozen Redis: slowest failed after ${slowest.toFixed(0)} ms`);
    for (const { error } of outcomes) expect(error).to.be.instanceOf(StoreUnavailable);
    // The deadline is 2 s; the margin is for timers firing late on a busy 2-core machine (2.66 s was
    // seen while other suites ran). Before the per-operation deadline, the slowest took up to 4.0 s.
    expect(slowest, 'the slowest operation, from its own start').to.be.below(3200);
  });
});
