import { pino, type Logger } from 'pino';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { RedisInvalidations } from '../../src/adapters/redis/redis-invalidations.ts';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';
import { describeSessionStoreContract } from './session-store.contract.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const SESSION = { data: { user: 'alice' }, index: { sid: 'sid-a', subject: 'sub-a', accountId: 'alice' }, ttlMs: 60_000 };

/** One app instance's Redis side: its own connection, invalidation channel and stores. */
class Instance {
  readonly redis: Redis;
  readonly channel: RedisInvalidations;
  readonly sessions: RedisSessionStore;
  readonly tokens: RedisTokenStore;

  constructor(keyPrefix: string, options: { now?: () => number; channelNow?: () => number; logger?: Pick<Logger, 'warn' | 'info'> } = {}) {
    this.redis = connectRedis({ url: REDIS_URL });
    this.channel = new RedisInvalidations({ redis: this.redis, prefixes: [keyPrefix], now: options.channelNow, logger: options.logger });
    const invalidations = { channel: this.channel, maxEntries: 100 };
    this.sessions = new RedisSessionStore({ redis: this.redis, keyPrefix, now: options.now, invalidations });
    this.tokens = new RedisTokenStore({ redis: this.redis, keyPrefix, tokenTtlSeconds: 3600, now: options.now, invalidations });
  }

  async ready(): Promise<this> {
    await redisReady(this.redis);
    expect(await this.channel.ready(5000), 'invalidations flow').to.equal(true);
    return this;
  }

  close(): void {
    this.channel.stop();
    this.redis.disconnect();
  }
}

describe('Redis data kept in memory, invalidated by Redis client tracking', () => {
  let admin: Redis;
  let prefix: string;
  let instances: Instance[] = [];
  const instance = async (options?: ConstructorParameters<typeof Instance>[1]) => {
    const created = new Instance(prefix, options);
    instances.push(created);
    return created.ready();
  };

  before(async () => {
    admin = connectRedis({ url: REDIS_URL });
    await redisReady(admin);
  });
  beforeEach(() => {
    prefix = `test:tracked:${randomUUID()}:`;
  });
  afterEach(async () => {
    for (const created of instances) created.close();
    instances = [];
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
  });
  after(() => admin.disconnect());

  describe('the port contracts hold with the caches on', () => {
    let shared: Instance | undefined;
    const cachedPrefix = `test:tracked-contract:${randomUUID()}:`;
    const fresh = () => `${cachedPrefix}${randomUUID()}:`;
    before(async () => {
      shared = await new Instance(cachedPrefix).ready();
    });
    after(async () => {
      shared?.close();
      const keys = await admin.keys(`${cachedPrefix}*`);
      if (keys.length) await admin.del(...keys);
    });
    const invalidations = () => ({ channel: shared!.channel, maxEntries: 100 });
    describeTokenStoreContract('redis, versions kept in memory', ({ now }) =>
      new RedisTokenStore({ redis: shared!.redis, keyPrefix: fresh(), tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now, invalidations: invalidations() }),
    );
    describeSessionStoreContract('redis, sessions kept in memory', ({ now }) =>
      new RedisSessionStore({ redis: shared!.redis, keyPrefix: fresh(), now, invalidations: invalidations() }),
    );
  });

  it('answers from memory once read, without asking Redis again', async () => {
    const x = await instance();
    await x.sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.tokens.write('alice', 'partition');
    expect(await x.sessions.get('s1')).to.deep.equal(SESSION.data);
    const version = await x.tokens.version('alice');
    expect([x.sessions.holds('s1'), x.tokens.holdsVersion('alice')]).to.deep.equal([true, true]);
    // The stores' own connection gone (the channel has its own): the answers can only come from memory.
    x.redis.disconnect();
    expect(await x.sessions.get('s1')).to.deep.equal(SESSION.data);
    expect(await x.tokens.version('alice')).to.equal(version);
  });

  it('drops the copy on every instance when one of them destroys the session or removes the tokens', async () => {
    const [x, y] = [await instance(), await instance()];
    await x.sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.tokens.write('alice', 'partition');
    for (const one of [x, y]) {
      await one.sessions.get('s1');
      await one.tokens.version('alice');
    }
    expect([x.sessions.holds('s1'), y.sessions.holds('s1'), x.tokens.holdsVersion('alice'), y.tokens.holdsVersion('alice')]).to.deep.equal([true, true, true, true]);

    await y.sessions.destroy('s1');
    await y.tokens.remove('alice');
    expect([y.sessions.holds('s1'), y.tokens.holdsVersion('alice')], 'the instance that changed it, at once').to.deep.equal([false, false]);
    await x.channel.settled();
    expect([x.sessions.holds('s1'), x.tokens.holdsVersion('alice')], 'the other, through invalidation').to.deep.equal([false, false]);
    expect(await x.sessions.get('s1')).to.equal(undefined);
    expect(await x.tokens.version('alice')).to.equal(undefined);
  });

  it('drops the copy when the session is saved elsewhere, and serves the new data', async () => {
    const [x, y] = [await instance(), await instance()];
    await x.sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.sessions.get('s1');
    expect(await y.sessions.update('s1', { user: 'alice', renewed: true }, SESSION.index, SESSION.ttlMs)).to.equal(true);
    await x.channel.settled();
    expect(x.sessions.holds('s1')).to.equal(false);
    expect(await x.sessions.get('s1')).to.deep.equal({ user: 'alice', renewed: true });
  });

  it('uses no copy while its invalidation connection is down, drops them all, and uses them again once it is back', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
    const [x, y] = [await instance({ logger }), await instance()];
    expect(warnings, 'nothing said of the first connection').to.deep.equal([]);
    await x.sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.sessions.set('s2', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.tokens.write('alice', 'partition');
    await x.tokens.write('bob', 'partition');
    await x.sessions.get('s1');
    await x.tokens.version('alice');

    await admin.call('CLIENT', 'KILL', 'ID', String(x.channel.connectionId));
    await until(() => !x.channel.usable());
    expect([x.sessions.holds('s1'), x.tokens.holdsVersion('alice')], 'every copy dropped').to.deep.equal([false, false]);
    // Closed alone, the store's own connection says nothing: the channel says it, once.
    expect(warnings.map((line) => [line.msg, line.reason])).to.deep.equal([['redis connection problem', 'the invalidation connection closed']]);
    // What exists and is read while it is down is served, and not kept.
    expect(await x.sessions.get('s2')).to.deep.equal(SESSION.data);
    expect(await x.tokens.version('bob')).to.be.a('string');
    expect(x.channel.usable(), 'still down while they were read').to.equal(false);
    expect([x.sessions.holds('s2'), x.tokens.holdsVersion('bob')], 'nothing kept while down').to.deep.equal([false, false]);

    // While it is down nothing is kept, so a change it cannot hear of is still seen.
    await y.sessions.destroy('s1');
    expect(await x.sessions.get('s1')).to.equal(undefined);
    expect(x.sessions.holds('s1')).to.equal(false);

    await until(() => x.channel.usable()); // ioredis reconnects by itself; tracking is turned on again
    expect(warnings.map((line) => line.msg), 'the end of the break said too').to.deep.equal([
      'redis connection problem',
      'redis connection restored: sessions and token versions are kept in memory again',
    ]);
    await x.tokens.version('alice');
    expect(x.tokens.holdsVersion('alice'), 'kept again').to.equal(true);
    await y.tokens.remove('alice');
    await x.channel.settled();
    expect(x.tokens.holdsVersion('alice'), 'and invalidated again').to.equal(false);
  });

  it("starts its channel over, dropping every copy, when the store's own connection comes back from a break", async () => {
    const x = await instance();
    await x.sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.sessions.get('s1');
    expect(x.sessions.holds('s1')).to.equal(true);
    const channelBefore = x.channel.connectionId;
    const storeId = await x.redis.client('ID');

    // Behind one address after a failover, the store's connection comes back on the new primary
    // while the channel's, never broken, stays on the old one: it must not be trusted.
    const atClose = new Promise<{ usable: boolean; held: boolean }>((resolve) =>
      x.redis.once('close', () => setImmediate(() => resolve({ usable: x.channel.usable(), held: x.sessions.holds('s1') }))),
    );
    await admin.call('CLIENT', 'KILL', 'ID', String(storeId));
    expect(await atClose, 'nothing served from memory from the moment the store connection breaks').to.deep.equal({ usable: false, held: false });
    await until(() => x.channel.connectionId !== channelBefore && x.channel.usable());
    expect(x.sessions.holds('s1'), 'the copy was dropped').to.equal(false);
    await x.sessions.get('s1');
    expect(x.sessions.holds('s1'), 'kept again once tracking is on again').to.equal(true);
  });

  it('keeps nothing in memory, and says so once, when Redis refuses client tracking', async () => {
    const redis = connectRedis({ url: REDIS_URL });
    await redisReady(redis);
    const warnings: string[] = [];
    // Overlapping BCAST prefixes are refused by Redis, as CLIENT TRACKING is by Redis 5 or an ACL.
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg?: unknown }).msg)) });
    const channel = new RedisInvalidations({ redis, prefixes: [prefix, `${prefix}session:`], logger });
    const sessions = new RedisSessionStore({ redis, keyPrefix: prefix, invalidations: { channel, maxEntries: 100 } });
    try {
      expect(await channel.ready(500)).to.equal(false);
      await sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
      expect(await sessions.get('s1')).to.deep.equal(SESSION.data);
      expect(sessions.holds('s1')).to.equal(false);
      expect(warnings).to.have.length(1);
    } finally {
      channel.stop();
      redis.disconnect();
    }
  });

  it('uses no copy once the channel has been silent longer than its bound, drops them all, and says so once', async () => {
    let channelTime = 0;
    const warnings: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg?: unknown }).msg)) });
    const x = await instance({ channelNow: () => channelTime, logger });
    await x.sessions.set('s1', SESSION.data, SESSION.index, SESSION.ttlMs);
    await x.sessions.get('s1');
    expect(x.sessions.holds('s1')).to.equal(true);

    expect(x.tokens.listening(), 'partition changes heard: parsed partitions may be kept').to.equal(true);

    channelTime += 1001; // no PING answered for longer than maxSilenceMs (1000)
    expect(x.channel.usable()).to.equal(false);
    expect(x.sessions.holds('s1')).to.equal(false);
    await x.sessions.get('s1');
    expect(x.sessions.holds('s1'), 'not kept while silent').to.equal(false);
    expect(x.tokens.listening(), 'nor parsed partitions').to.equal(false);
    expect(warnings, 'the line to alert on, once for the silence').to.deep.equal(['redis connection problem']);

    await x.channel.settled(); // a PING sent now is answered
    expect(x.channel.usable()).to.equal(true);
    expect(x.tokens.listening()).to.equal(true);
    expect(warnings, 'and its end, once').to.deep.equal(['redis connection problem', 'redis connection restored: sessions and token versions are kept in memory again']);
    expect(x.channel.usable()).to.equal(true);
    expect(warnings).to.have.length(2);
  });

  it("says nothing of a store connection closed without an error (CLIENT KILL, an idle timeout), nor of its end", async () => {
    const said: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void said.push(String((JSON.parse(line) as { msg?: unknown }).msg)) });
    const x = await instance({ logger });
    const storeId = Number(await x.redis.client('ID'));
    await admin.call('CLIENT', 'KILL', 'ID', String(storeId));
    await until(() => x.redis.status !== 'ready');
    await until(() => x.channel.usable()); // both connections back, tracking set up again
    expect(said).to.deep.equal([]);
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the invalidation channel when Redis answers CLIENT TRACKING or PING with an error', () => {
  /** A connection as RedisInvalidations drives it (ioredis' duplicate), whose CLIENT ID answers `answers` in turn, and PING `pings` (then PONG). */
  class FakeConnection extends EventEmitter {
    readonly answers: Array<Error | number>;
    readonly pings: Error[] = [];
    /** PING never answered, as on a half-open connection. */
    silent = false;
    reconnects = 0;
    status = 'ready';
    constructor(answers: Array<Error | number>) {
      super();
      this.answers = answers;
    }
    async client(): Promise<number> {
      const answer = this.answers.shift()!;
      if (answer instanceof Error) throw answer;
      return answer;
    }
    async call(): Promise<string> {
      return 'OK';
    }
    async subscribe(): Promise<number> {
      return 1;
    }
    async ping(): Promise<string> {
      if (this.silent) return new Promise(() => {});
      const answer = this.pings.shift();
      if (answer) throw answer;
      return 'PONG';
    }
    disconnect(reconnect = false): void {
      this.emit('close');
      if (reconnect) {
        this.reconnects++;
        setImmediate(() => this.emit('ready'));
      }
    }
  }
  const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

  async function channelOver(connection: FakeConnection, now?: () => number) {
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(String((JSON.parse(line) as { msg?: unknown }).msg)) });
    const store = Object.assign(new EventEmitter(), { duplicate: () => connection });
    const channel = new RedisInvalidations({ redis: store as unknown as Redis, prefixes: ['p:'], logger, now });
    connection.emit('ready');
    return { channel, warnings };
  }

  it('tries again on a new connection when Redis is only busy or loading, and says nothing', async () => {
    const connection = new FakeConnection([replyError('BUSY Redis is busy running a script.'), replyError('LOADING Redis is loading the dataset in memory'), 7]);
    const { channel, warnings } = await channelOver(connection);
    try {
      expect(await channel.ready(2000), 'tracking on once Redis could answer').to.equal(true);
      expect(connection.reconnects).to.equal(2);
      expect(warnings).to.deep.equal([]);
    } finally {
      channel.stop();
    }
  });

  it('tells every listener to drop everything when Redis says the database was flushed (a null invalidation)', async () => {
    const connection = new FakeConnection([7]);
    const { channel } = await channelOver(connection);
    const heard: string[] = [];
    channel.subscribe({ keys: (keys) => heard.push(...keys), lost: () => heard.push('lost') });
    try {
      expect(await channel.ready(2000)).to.equal(true);
      connection.emit('messageBuffer', Buffer.from('__redis__:invalidate'), [Buffer.from('p:a')]);
      connection.emit('messageBuffer', Buffer.from('__redis__:invalidate'), null); // FLUSHDB / FLUSHALL
      expect(heard).to.deep.equal(['p:a', 'lost']);
    } finally {
      channel.stop();
    }
  });

  it('tries again on a new connection when setting tracking up timed out on a connection still open', async () => {
    const connection = new FakeConnection([new Error('Command timed out'), 7]); // ioredis' commandTimeout
    const { channel, warnings } = await channelOver(connection);
    try {
      expect(await channel.ready(2000)).to.equal(true);
      expect(connection.reconnects).to.equal(1);
      expect(warnings).to.deep.equal([]);
    } finally {
      channel.stop();
    }
  });

  it('starts a connection over that stays open but silent (half-open), once, and keeps copies again when the new one answers', async () => {
    let time = 0;
    const connection = new FakeConnection([7, 8]);
    const { channel, warnings } = await channelOver(connection, () => time);
    const heard: string[] = [];
    channel.subscribe({ keys: () => {}, lost: () => heard.push('lost') });
    try {
      expect(await channel.ready(2000)).to.equal(true);
      connection.silent = true;
      time += 1001; // silent past the bound: copies dropped, the connection kept for now
      await until(() => heard.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 250)); // two heartbeats
      expect(connection.reconnects, 'a moment of silence costs no new connection').to.equal(0);
      time += 2000; // silent for three bounds
      await until(() => connection.reconnects === 1);
      connection.silent = false;
      expect(await channel.ready(2000), 'tracking set up again on the new connection').to.equal(true);
      expect(channel.connectionId).to.equal(8);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(channel.usable()).to.equal(true);
      expect(connection.reconnects, 'started over once').to.equal(1);
      expect(warnings).to.deep.equal(['redis connection problem']);
    } finally {
      channel.stop();
    }
  });

  it('waits for the connection to come back when it was lost while tracking was set up', async () => {
    const connection = new FakeConnection([new Error('Connection is closed.'), 7]);
    connection.status = 'reconnecting';
    const { channel } = await channelOver(connection);
    try {
      expect(await channel.ready(100)).to.equal(false);
      expect(connection.reconnects, 'ioredis reconnects by itself').to.equal(0);
      connection.status = 'ready';
      connection.emit('ready');
      expect(await channel.ready(2000)).to.equal(true);
    } finally {
      channel.stop();
    }
  });

  it('stops trying, and says so once, when Redis refuses tracking itself; waiting for it ends at once', async () => {
    const connection = new FakeConnection([replyError("ERR unknown subcommand 'TRACKING'."), 7]);
    const { channel, warnings } = await channelOver(connection);
    try {
      // A minute: were the wait not ended by the refusal, the test would time out.
      expect(await channel.ready(60_000)).to.equal(false);
      expect(channel.stopped).to.equal(true);
      expect(connection.reconnects).to.equal(0);
      expect(warnings).to.have.length(1);
    } finally {
      channel.stop();
    }
  });

  it('stops, saying Redis refused, when Redis refuses its PING (an ACL without it), not that Redis went silent; a busy Redis is only silence', async () => {
    const connection = new FakeConnection([7]);
    const { channel, warnings } = await channelOver(connection);
    const heard: string[] = [];
    channel.subscribe({ keys: () => {}, lost: () => heard.push('lost') });
    try {
      expect(await channel.ready(2000)).to.equal(true);
      connection.pings.push(
        replyError('BUSY Redis is busy running a script.'),
        replyError('LOADING Redis is loading the dataset in memory'),
        replyError("NOPERM this user has no permissions to run the 'ping' command"),
      );
      await until(() => channel.stopped);
      expect(connection.pings, 'the heartbeat went on after BUSY and LOADING').to.deep.equal([]);
      expect(channel.usable()).to.equal(false);
      expect(heard, 'every copy dropped').to.include('lost');
      expect(connection.reconnects).to.equal(0);
      expect(warnings).to.deep.equal(['redis refused client tracking: sessions and token versions are read from Redis every time']);
    } finally {
      channel.stop();
    }
  });
});
