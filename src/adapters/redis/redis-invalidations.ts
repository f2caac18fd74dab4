import type { Logger } from 'pino';
import type { Redis } from 'ioredis';

/** What a cache kept beside Redis is told. */
export interface InvalidationListener {
  /** These keys were written, deleted or expired (by any client, this one included). */
  keys(keys: readonly string[]): void;
  /** Invalidations may have been missed: the channel broke, went quiet, or Redis was flushed. */
  lost(): void;
}

const CHANNEL = '__redis__:invalidate';
/** Error replies (named by their first word) that say Redis cannot serve right now, not that it refuses tracking or PING. */
const PASSING_REFUSAL = /^(BUSY|LOADING|MASTERDOWN|TRYAGAIN)\b/;
/**
 * After how many `maxSilenceMs` without an answered PING the connection is started over: more than
 * one, so that an event loop held up past the bound (whose answers are read only after the timer
 * that finds them late) drops the copies, as any silence does, without costing a new connection.
 */
const RESTART_AFTER_SILENCES = 3;

/**
 * Server-assisted invalidation over RESP2 (ioredis): one extra connection runs
 * `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX …` and then subscribes to
 * `__redis__:invalidate`, so Redis publishes to it the name of every key under those prefixes that
 * any client changes (BCAST: whatever this instance has read or not, no per-key state on the
 * server). Invalidation is asynchronous, so the channel also proves it is alive: a PING every
 * `heartbeatMs` on the same connection, whose answer comes after the invalidation of every write
 * Redis had acknowledged when it was sent (BCAST invalidations go out at the end of the event-loop
 * turn that made them, just before the write's own reply: beforeSleep in
 * https://github.com/redis/redis/blob/7.0/src/server.c; a write run in the PING's own turn may be
 * announced after the PONG, but it was not acknowledged before the PING). A cached entry may be
 * used only while `usable()`: connected, tracking on, and a PING sent at most `maxSilenceMs` ago
 * answered. That bounds how stale a served entry can be (`maxSilenceMs`), whatever happens to the
 * network. Whenever it stops being usable every listener is told `lost()` (fail closed: caches drop
 * everything) before anything is served again.
 */
export class RedisInvalidations {
  readonly #connection: Redis;
  readonly #prefixes: readonly string[];
  readonly #heartbeatMs: number;
  readonly #maxSilenceMs: number;
  readonly #now: () => number;
  readonly #listeners: InvalidationListener[] = [];
  readonly #logger: Pick<Logger, 'warn' | 'info'> | undefined;
  /** Subscribed with tracking on (since the connection's last `ready`). */
  #tracking = false;
  /** A break was reported (a `redis connection problem` line, here or by the store's connection): its end is said too. */
  #breakReported = false;
  /**
   * Moves on whenever the invalidation connection is started over on purpose: a set-up (`#track`)
   * still under way on it must not turn tracking on (and say it is restored) just before its close.
   */
  #restarts = 0;
  /** `lost()` was announced for the current silence (so it is announced once, not on every check). */
  #quiet = false;
  /** Redis' id of the connection (CLIENT ID), once known: what an operator or a test can CLIENT KILL. */
  #connectionId: number | undefined;
  /** When the last answered PING was sent (monotonic ms). */
  #answeredPingSentAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: {
    redis: Redis;
    prefixes: readonly string[];
    heartbeatMs?: number;
    maxSilenceMs?: number;
    now?: () => number;
    logger?: Pick<Logger, 'warn' | 'info'>;
  }) {
    this.#prefixes = deps.prefixes;
    this.#heartbeatMs = deps.heartbeatMs ?? 100;
    this.#maxSilenceMs = deps.maxSilenceMs ?? 1000;
    this.#now = deps.now ?? (() => performance.now());
    this.#logger = deps.logger;
    // Its own connection: subscribed, it can send nothing else; and tracking lives and dies with it.
    this.#connection = deps.redis.duplicate({ enableAutoPipelining: false, autoResubscribe: false });
    this.#connection.on('messageBuffer', (_channel: Buffer, message: Buffer | Buffer[] | null) => this.#onMessage(message));
    this.#connection.on('ready', () => void this.#track());
    this.#connection.on('close', () => {
      // Said once a break: closed alone (CLIENT KILL, Redis' pub/sub output buffer limit, a proxy),
      // the store's connection reports nothing, and every copy is dropped at each such break.
      if (this.#tracking && this.#timer !== undefined) this.#reportBreak('the invalidation connection closed');
      this.#tracking = false;
      this.#lose();
    });
    this.#connection.on('error', () => {}); // each failure also closes the connection: handled there
    // The store's own connection back after a break (a failover behind one address, a restart): this
    // connection may still be on the server the store left, where the store's writes are never
    // announced, while its heartbeat goes on answering. It starts over as well, so both reach the
    // same server, and nothing is served from memory until tracking is on again there.
    let storeWasDown = false;
    deps.redis.on('close', () => {
      // Fail closed from now: what the store's connection missed while away, and what the other
      // server it may come back to holds, is not known here.
      if (!storeWasDown && this.#tracking) this.#lose();
      storeWasDown = true;
      this.#tracking = false;
    });
    // A break the store's connection reported (its onError logs `redis connection problem`); a close
    // without an error (CLIENT KILL, an idle timeout) is reported by nobody, so its end is not either.
    deps.redis.on('error', () => (this.#breakReported = true));
    deps.redis.on('ready', () => {
      if (!storeWasDown || this.#timer === undefined) return;
      storeWasDown = false;
      this.#tracking = false;
      this.#lose();
      this.#restarts++;
      this.#connection.disconnect(true);
    });
    this.#timer = setInterval(() => this.#heartbeat(), this.#heartbeatMs).unref();
  }

  /**
   * Resolves `true` once invalidations flow, `false` if they do not within `timeoutMs` (the caches
   * stay unused until they do; the connection keeps trying by itself) or at once when they never
   * will (stopped: Redis refused tracking for good, which was logged).
   */
  async ready(timeoutMs: number): Promise<boolean> {
    const deadline = this.#now() + timeoutMs;
    while (!this.#tracking && !this.stopped && this.#now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.#tracking;
  }

  /** Stopped (`stop`, or Redis refused tracking, the subscription or PING for good): nothing is ever kept in memory again. */
  get stopped(): boolean {
    return this.#timer === undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#tracking = false;
    this.#lose();
    this.#connection.disconnect();
  }

  subscribe(listener: InvalidationListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Tells every listener `lost()` (the caches drop every copy) though the channel is fine: for a
   * change the caches cannot hear of from Redis, such as a sign-out journaled while the store
   * could not be written (the journal names a `sid`, not the keys held).
   */
  forgetAll(): void {
    this.#lose();
  }

  /** Whether cached entries may be used now; if the heartbeat went quiet, every listener is told `lost()` first. */
  usable(): boolean {
    if (!this.#tracking) return false;
    if (this.#now() - this.#answeredPingSentAt <= this.#maxSilenceMs) {
      // Answering again after a silence that did not last long enough to start the connection over.
      if (this.#quiet) this.#reportRestored();
      this.#quiet = false;
      return true;
    }
    if (!this.#quiet) {
      this.#quiet = true;
      // A Redis that stops answering (frozen, a network that drops packets) closes no connection,
      // so ioredis reports nothing: this is the one place it is seen.
      this.#reportBreak(`no answer from Redis for over ${this.#maxSilenceMs} ms`);
      this.#lose();
    }
    return false;
  }

  get connectionId(): number | undefined {
    return this.#connectionId;
  }

  /**
   * Resolves once every invalidation Redis sent before now has been handled (a PING round trip on
   * the channel): what tests wait for instead of sleeping. Rejects when the channel is not up.
   */
  async settled(): Promise<void> {
    if (!this.#tracking) throw new Error('the invalidation channel is not up');
    await this.#ping();
  }

  async #track(): Promise<void> {
    const restarts = this.#restarts;
    try {
      const id = await this.#connection.client('ID');
      this.#connectionId = id;
      const prefixes = this.#prefixes.flatMap((prefix) => ['PREFIX', prefix]);
      // Until SUBSCRIBE, Redis drops what it would redirect to this RESP2 connection; nothing is cached before it.
      await this.#connection.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', ...prefixes);
      const sentAt = this.#now();
      await this.#connection.subscribe(CHANNEL);
      // Started over meanwhile (its answers still came before the close): the new connection tracks.
      if (restarts !== this.#restarts) return;
      this.#answeredPingSentAt = sentAt;
      this.#quiet = false;
      this.#tracking = true;
      this.#reportRestored();
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ReplyError')) {
        // A connection lost meanwhile: 'close', then 'ready' again, tries anew. One still up after
        // a command that timed out (ioredis' commandTimeout rejects but keeps the socket) would
        // never be 'ready' again, and the caches would stay unused: start it over.
        if (this.#connection.status === 'ready') this.#connection.disconnect(true);
        return;
      }
      // Redis busy (a long script), loading its data or without its primary: no answer about
      // tracking. A new connection tries again, after ioredis' reconnection delay.
      if (PASSING_REFUSAL.test(error.message)) return void this.#connection.disconnect(true);
      // A refusal that will not change (no CLIENT TRACKING before Redis 6, an ACL without it,
      // overlapping prefixes): stop trying.
      this.#refused(error);
    }
  }

  /** Said, so that an alert raised by `redis connection problem` can be seen to end; once a break. */
  #reportRestored(): void {
    if (this.#breakReported) this.#logger?.info('redis connection restored: sessions and token versions are kept in memory again');
    this.#breakReported = false;
  }

  #reportBreak(reason: string): void {
    this.#breakReported = true;
    this.#logger?.warn({ reason }, 'redis connection problem');
  }

  #heartbeat(): void {
    if (!this.#tracking) return;
    this.usable(); // detects a quiet channel even when nothing is being read
    // Silent for RESTART_AFTER_SILENCES bounds on a connection still open (a half-open TCP
    // connection, a proxy that stalls it): nothing would ever close it, and the caches would stay
    // unused until the operating system gave up on the socket. Started over, as a set-up command
    // that timed out is (#track); a new connection sets tracking up again once Redis answers.
    if (this.#now() - this.#answeredPingSentAt > RESTART_AFTER_SILENCES * this.#maxSilenceMs && this.#connection.status === 'ready') {
      this.#tracking = false;
      this.#restarts++;
      this.#connection.disconnect(true);
      return;
    }
    // A PING that fails is not answered: a broken connection's 'close' drops the copies, and one
    // that timed out (or got BUSY) leaves the channel silent, which drops them after 1 s (usable()).
    this.#ping().catch((error: unknown) => {
      if (this.stopped || !(error instanceof Error && error.name === 'ReplyError') || PASSING_REFUSAL.test(error.message)) return;
      // Any other error reply will not change (an ACL without PING): taken as silence, it would be
      // reported as a Redis that stopped answering, forever, pointing the operator away from the ACL.
      this.#refused(error);
    });
  }

  /** Redis refused what the channel needs for good: said once, and nothing is kept in memory again. */
  #refused(error: Error): void {
    this.#logger?.warn({ err: error }, 'redis refused client tracking: sessions and token versions are read from Redis every time');
    this.stop();
  }

  async #ping(): Promise<void> {
    const sentAt = this.#now();
    await this.#connection.ping();
    this.#answeredPingSentAt = Math.max(this.#answeredPingSentAt, sentAt);
  }

  #onMessage(message: Buffer | Buffer[] | null): void {
    // A null message: the whole database was flushed (FLUSHDB/FLUSHALL).
    if (message === null) return this.#lose();
    const keys = (Array.isArray(message) ? message : [message]).map((key) => key.toString());
    for (const listener of this.#listeners) listener.keys(keys);
  }

  #lose(): void {
    for (const listener of this.#listeners) listener.lost();
  }
}
