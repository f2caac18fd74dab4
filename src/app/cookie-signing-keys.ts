import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs the session cookie (Keygrip's interface, which Koa's `cookies` calls): HMAC-SHA256 with
 * the first key, verified against every key so keys can be rotated (newest first).
 * Not Keygrip itself: it compares through tsscmp, two more HMACs per check, and that was 5% of
 * a signed-in request's time (bench/).
 */
export class CookieSigningKeys {
  readonly #keys: readonly string[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('cookie signing needs at least one key');
    this.#keys = keys;
  }

  sign(data: string): string {
    return digest(this.#keys[0]!, data);
  }

  verify(data: string, signature: string): boolean {
    return this.index(data, signature) !== -1;
  }

  /** Which key made `signature` (0 = the newest), or -1 when none did. */
  index(data: string, signature: string): number {
    const given = Buffer.from(signature);
    return this.#keys.findIndex((key) => {
      const expected = Buffer.from(digest(key, data));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

function digest(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}
