import { Redis, ReplyError } from 'ioredis';
import { StoreUnavailable } from '../../domain/errors.ts';

const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;
const MAX_RECONNECT_DELAY_MS = 2000;

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  readonly url: string;
  /** How long one command, and one store operation in all, may take before it fails (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /** Connection errors (refused, reset, ...). Default: ignored, because every command they affect fails on its own. */
  readonly onError?: (error: Error) => void;
}

/**
 * An ioredis client shared by the Redis stores, tuned so that a Redis outage costs a request a
 * quick, clear failure (`StoreUnavailable`) instead of a hung request, and ends by itself.
 *
 * - `enableOfflineQueue: false`: a command while disconnected fails at once. ioredis' default
 *   queues it until Redis comes back, so every request would hang for the whole outage.
 * - `commandTimeout`: a command on a connection that is up but stuck fails after this long. The
 *   stores also give each operation, whatever commands it sends, this long in all
 *   (`operationDeadlineMs`, redis-store-error.ts `guarded`).
 * - `maxRetriesPerRequest: 1`: a command caught by a disconnect is not carried across reconnects.
 * - `autoResendUnfulfilledCommands: false`: a write that already failed for its caller (timeout)
 *   must not run later, after the caller has moved on (a session save landing after a sign-out).
 * - `retryStrategy` never gives up: reconnect attempts back off to one every 2 s, so the same
 *   client recovers when Redis returns, without a restart of the app.
 * - `reconnectOnError` on `READONLY`: after a failover behind one address (a DNS name, a proxy),
 *   Redis keeps the old primary's connections open as a replica's, and every write answers
 *   READONLY until the socket closes; reconnecting reaches the new primary. The failed command is
 *   not sent again (its caller already has the error): `true`, not 2
 *   (https://github.com/redis/ioredis#reconnect-on-error).
 */
export function connectRedis(options: RedisConnectionOptions): Redis {
  const redis = new Redis(options.url, {
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    reconnectOnError: reconnectOnReadOnly,
    lazyConnect: false,
    // No auto-pipelining (ioredis' default): it defers every command to the next turn
    // (setImmediate) to batch it with others, which cost a command issued alone 15–40 µs more of
    // the app's CPU here (an HMGET of a 10 KB partition: 93–108 against 111–140 µs, in three A/B
    // pairs of bench/silent-stages.ts redis), and saved nothing with 20 commands in flight (27 µs
    // each either way). A signed-in page sends none while the invalidation channel is up: its
    // session and token version come from memory (redis-invalidations.ts).
    enableAutoPipelining: false,
  });
  // Without a listener ioredis prints "Unhandled error event" for every failed reconnect attempt.
  redis.on('error', options.onError ?? (() => {}));
  return redis;
}

/** Whether a command's error means this connection reaches a replica now (see connectRedis). */
export function reconnectOnReadOnly(error: Error): boolean {
  return error.message.startsWith('READONLY');
}

/**
 * Selects the database `url` names (`redis://host:6379/2`) once more, and resolves to Redis's
 * refusal, if it refuses it (a number beyond its `databases` setting), or `undefined`. ioredis
 * selects it on every connection, but on a refusal it only emits an error and goes on in database
 * 0 (readyHandler in https://github.com/redis/ioredis/blob/main/lib/redis/event_handler.ts), where
 * the app would then read and write. Rejects as any command does when Redis cannot be reached.
 */
export async function refusedDatabase(redis: Redis, url: string): Promise<string | undefined> {
  const database = new URL(url).pathname.slice(1);
  if (database === '') return undefined;
  try {
    await redis.select(Number(database));
    return undefined;
  } catch (error) {
    if (error instanceof ReplyError) return `Redis refuses database ${database}: ${(error as Error).message}`;
    throw error;
  }
}

/**
 * Whether a connection error is Redis refusing the credentials REDIS_URL gives: a wrong password or
 * user (`WRONGPASS`), none where one is needed (`NOAUTH`, as ioredis' ready check reports it), or a
 * user not allowed the commands a connection starts with (`NOPERM`, when ioredis reports it; it
 * skips its ready check for a user refused INFO, and reports nothing). ioredis reconnects and tries
 * again forever (`recoverFromFatalError` in
 * https://github.com/redis/ioredis/blob/main/lib/redis/event_handler.ts), as for an outage.
 */
export function refusesCredentials(error: Error): boolean {
  return /\b(WRONGPASS|NOAUTH|NOPERM)\b/.test(error.message);
}

/**
 * Resolves once the client can take commands. With the offline queue off, commands sent before the
 * first connection is ready fail, so the app (and tests) wait for this at startup.
 */
export async function redisReady(redis: Redis, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new StoreUnavailable(`Redis not ready after ${timeoutMs} ms (status: ${redis.status})`));
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/** How long one store operation may take in all: the client's command timeout. */
export function operationDeadlineMs(redis: Redis): number {
  return redis.options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
}
