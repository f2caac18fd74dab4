import { createHmac, hkdfSync } from 'node:crypto';

const LABEL = 'koa-msal session handle v1';

/**
 * Opaque names for sessions on the sessions page. The session id is the cookie's value, a bearer
 * secret, so it never goes into a page or a form; a handle is an HMAC of it under a key derived
 * (HKDF-SHA256, its own label) from SESSION_KEYS[0]: stable for a session, meaningless without the
 * key, and useless as a cookie. A handle only ever names a session among the signed-in user's own
 * (routes look it up in their list), so one of another user's, guessed or replayed, names nothing.
 * Rotating SESSION_KEYS changes every handle: a sessions page open across a rotation is reloaded.
 */
export class SessionHandles {
  readonly #key: Buffer;

  constructor(sessionKeys: readonly string[]) {
    if (sessionKeys.length === 0) throw new Error('session handles need a key');
    this.#key = Buffer.from(hkdfSync('sha256', sessionKeys[0]!, '', LABEL, 32));
  }

  /** 22 base64url characters (132 bits). */
  of(sessionId: string): string {
    return createHmac('sha256', this.#key).update(sessionId).digest('base64url').slice(0, 22);
  }

  /** Whether `value` could be a handle at all (anything else is refused with a 400 before any lookup). */
  static isWellFormed(value: unknown): value is string {
    return typeof value === 'string' && /^[A-Za-z0-9_-]{22}$/.test(value);
  }
}
