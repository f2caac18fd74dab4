import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals a small JSON value for a cookie with AES-256-GCM: the browser carries it but can neither
 * read nor change it, and the server keeps nothing. The keys are derived from SESSION_KEYS with
 * HKDF-SHA256 and a label, so the key that seals is never the one that signs the session cookie,
 * and values sealed for one purpose do not open for another. It seals with the newest key and
 * opens with any, so a value in flight survives a SESSION_KEYS rotation.
 */
export class CookieSealer {
  /** KeyObjects, not Buffers: a Buffer key is imported again by every cipher (see token-keyring.ts). */
  readonly #keys: readonly KeyObject[];
  readonly #label: Buffer;

  constructor(deps: { secrets: readonly string[]; label: string }) {
    if (deps.secrets.length === 0) throw new Error('sealing cookies needs at least one key');
    this.#label = Buffer.from(deps.label);
    this.#keys = deps.secrets.map((secret) => createSecretKey(Buffer.from(hkdfSync('sha256', secret, '', this.#label, 32))));
  }

  /** The sealed text of `value`, which `open` refuses from `expiresAt` (epoch ms) on. */
  seal(value: unknown, expiresAt: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv).setAAD(this.#label);
    const sealed = Buffer.concat([cipher.update(JSON.stringify({ exp: expiresAt, value }), 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** The value, or `undefined` when the text is not sealed by one of the keys, was changed, or has expired. */
  open(text: string, now: number): unknown {
    if (!text.startsWith(VERSION)) return undefined;
    const bytes = Buffer.from(text.slice(VERSION.length), 'base64url');
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    const iv = bytes.subarray(0, IV_BYTES);
    const sealed = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    for (const key of this.#keys) {
      const plain = decrypt(key, iv, sealed, tag, this.#label);
      if (plain === undefined) continue;
      const { exp, value } = JSON.parse(plain) as { exp: unknown; value: unknown };
      return typeof exp === 'number' && now < exp ? value : undefined;
    }
    return undefined;
  }
}

function decrypt(key: KeyObject, iv: Buffer, sealed: Buffer, tag: Buffer, aad: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES }).setAAD(aad).setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
  } catch {
    return undefined; // another key sealed it, or it was changed: GCM's tag check failed
  }
}
