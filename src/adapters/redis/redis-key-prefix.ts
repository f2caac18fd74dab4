import type { Redis } from 'ioredis';

/**
 * Whether Redis holds any key under `keyPrefix`, by SCAN (never KEYS, which blocks the server): the
 * operator's check that a sign-out that found nothing looked where the app writes. Every key the app
 * writes carries a TTL, so an app that holds nothing for anyone has none either.
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
