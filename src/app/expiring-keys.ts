import { createHash } from 'node:crypto';

/**
 * Keys remembered in this instance's memory until a time of their own, at most `maxKeys` (a flood
 * evicts the oldest, so memory stays bounded). Kept by a SHA-256 digest, so what a stranger sends
 * is never held as given.
 */
export class ExpiringKeys {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;
  readonly #maxKeys: number;

  constructor(now: () => number, maxKeys: number) {
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  /** Remembers `key` until `until`; `false` when it already was (and is left as it was). */
  add(key: string, until: number): boolean {
    const digest = digestOf(key);
    const now = this.#now();
    const held = this.#until.get(digest);
    if (held !== undefined && held > now) return false;
    this.#until.delete(digest);
    this.#until.set(digest, until);
    this.#forgetBeyond(now);
    return true;
  }

  /** Whether `key` is remembered now. */
  has(key: string): boolean {
    return (this.#until.get(digestOf(key)) ?? 0) > this.#now();
  }

  /** Drops the expired ones from the oldest end, and the oldest beyond the bound. */
  #forgetBeyond(now: number): void {
    for (const [digest, until] of this.#until) {
      if (until > now && this.#until.size <= this.#maxKeys) break;
      this.#until.delete(digest);
    }
  }
}

function digestOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
