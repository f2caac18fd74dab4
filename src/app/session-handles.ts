import { createHmac, hkdfSync } from 'node:crypto';

const LABEL = 'koa-msal session handle v1';

/**
 * Opaque names for sessions on the sessions page. The session id is the cookie's value, a bearer
 * secret, so it never goes into a page or a form; a handle is an HMAC of it under a key derived
 * (HKDF-SHA256, its own label) from a key of SESSION_KEYS: stable for a session, meaningless
 * without the key, and useless as a cookie. A handle only ever names a session among the signed-in
 * user's own (routes look it up in their list), so one of another user's, guessed or replayed,
 * names nothing. A page shows the newest key's handles, and a handle made with any key in
 * SESSION_KEYS is taken: in a rolling rotation a page an instance wrote with the new key first is
 * posted to one given it second, and a page written before the rotation to one that has it.
 */
export class SessionHandles {
  readonly #keys: readonly Buffer[];

  constructor(sessionKeys: readonly string[]) {
    if (sessionKeys.length === 0) throw new Error('session handles need a key');
    this.#keys = sessionKeys.map((key) => Buffer.from(hkdfSync('sha256', key, '', LABEL, 32)));
  }

  /** Every handle that names the session, 22 base64url characters (132 bits) each: under each key in SESSION_KEYS, newest first (the one a page shows). */
  allOf(sessionId: string): string[] {
    return this.#keys.map((key) => handleUnder(key, sessionId));
  }

  /** Whether `value` could be a handle at all (anything else is refused with a 400 before any lookup). */
  static isWellFormed(value: unknown): value is string {
    return typeof value === 'string' && /^[A-Za-z0-9_-]{22}$/.test(value);
  }
}

function handleUnder(key: Buffer, sessionId: string): string {
  return createHmac('sha256', key).update(sessionId).digest('base64url').slice(0, 22);
}
