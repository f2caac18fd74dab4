import type { Redis } from 'ioredis';

/** The key an app instance keeps under its prefix (`<prefix>app`), saying the prefix is in use. */
export const PREFIX_IN_USE_KEY = 'app';

/** How often a running instance writes its mark again: a FLUSHALL or FLUSHDB removes it without a reconnection. */
export const PREFIX_MARK_INTERVAL_MS = 30_000;

/**
 * Keeps `<prefix>app` in Redis while an app instance runs, written at every (re)connection (a Redis
 * restarted empty gets it back) and every PREFIX_MARK_INTERVAL_MS (a database flushed under a
 * running instance does too): every other key the app writes expires, so without it the app's
 * prefix with nobody signed in could not be told from a prefix no app uses. It has no expiry; a
 * prefix no longer used can have it deleted. Stops when the connection ends for good.
 */
export function markPrefixInUse(redis: Redis, keyPrefix: string, intervalMs = PREFIX_MARK_INTERVAL_MS): void {
  const mark = () => void redis.set(`${keyPrefix}${PREFIX_IN_USE_KEY}`, 'in use by the koa-msal app').catch(() => {});
  redis.on('ready', mark);
  if (redis.status === 'ready') mark();
  const timer = setInterval(() => redis.status === 'ready' && mark(), intervalMs).unref();
  redis.once('end', () => clearInterval(timer));
}

/**
 * Whether Redis holds any key under `keyPrefix`, by SCAN (never KEYS, which blocks the server): the
 * operator's check that a sign-out that found nothing looked where the app writes. An app instance
 * that has run on the prefix left `<prefix>app` there (markPrefixInUse), whoever is signed in.
 */
export async function holdsKeysUnder(redis: Redis, keyPrefix: string): Promise<boolean> {
  const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, (special) => `\\${special}`)}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) return true;
    cursor = next;
  } while (cursor !== '0');
  return false;
}
