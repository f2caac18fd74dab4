import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** How many verified signatures are remembered: about the number of sessions active at once. */
const REMEMBERED_SIGNATURES = 10_000;

/**
 * Signs the session cookie (Keygrip's interface, which Koa's `cookies` calls): HMAC-SHA256 with
 * the first key, verified against every key so keys can be rotated (newest first).
 * Not Keygrip itself: it compares through tsscmp, two more HMACs per check, and that was 5% of
 * a signed-in request's time (bench/).
 *
 * A signature once verified is remembered (bounded, oldest forgotten first), so a returning cookie
 * costs a Map lookup instead of an HMAC: about 11 µs of CPU per signed-in request under the
 * benchmark's load. Only successes are remembered, and the keys never change for the life of this
 * object, so a remembered answer is the answer the HMAC would give again; a forged or changed
 * signature always goes through the HMAC and the constant-time comparison.
 */
export class CookieSigningKeys {
  readonly #keys: readonly KeyObject[];
  readonly #verified = new Map<string, number>();
  readonly #remember: number;

  constructor(keys: readonly string[], options: { remember?: number } = {}) {
    if (keys.length === 0) throw new Error('cookie signing needs at least one key');
    this.#keys = keys.map((key) => createSecretKey(Buffer.from(key)));
    this.#remember = options.remember ?? REMEMBERED_SIGNATURES;
  }

  sign(data: string): string {
    return digest(this.#keys[0]!, data);
  }

  verify(data: string, signature: string): boolean {
    return this.signedBy(data, signature) !== -1;
  }

  /**
   * What the `cookies` package asks: 0 when one of the keys made `signature`, -1 when none did.
   * Never which older key: `cookies` answers any index above 0 by signing the cookie again with
   * the newest key, but sets that `.sig` cookie with none of the session cookie's options (only
   * `{ signed: false }`: no Max-Age, SameSite or Secure; `Cookies.prototype.get`,
   * https://github.com/pillarjs/cookies/blob/master/index.js). After a rotation of SESSION_KEYS it
   * would turn the signature into a browser-session cookie (lost at the next browser restart, and
   * the session with it), or one a `__Host-` name makes the browser refuse. Left as it is, the old
   * signature goes on verifying while the older key is listed, and koa-session signs both cookies
   * again with the newest key, with their options, whenever it saves the session (a change, the
   * activity noted at most every 5 minutes, a renewal).
   */
  index(data: string, signature: string): number {
    return this.signedBy(data, signature) === -1 ? -1 : 0;
  }

  /** Which key made `signature` (0 = the newest), or -1 when none did. */
  signedBy(data: string, signature: string): number {
    // A cookie's name and value never contain a newline, so the pair cannot be forged by moving it.
    const pair = `${data}\n${signature}`;
    const remembered = this.#verified.get(pair);
    if (remembered !== undefined) return remembered;
    const given = Buffer.from(signature);
    const index = this.#keys.findIndex((key) => {
      const expected = Buffer.from(digest(key, data));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (index !== -1) this.#rememberVerified(pair, index);
    return index;
  }

  /** How many verified signatures are held (for tests). */
  get remembered(): number {
    return this.#verified.size;
  }

  #rememberVerified(pair: string, index: number): void {
    if (this.#verified.size >= this.#remember) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(pair, index);
  }
}

function digest(key: KeyObject, data: string): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}
