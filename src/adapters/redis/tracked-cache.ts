import type { InvalidationListener } from './redis-invalidations.ts';

/** The invalidation channel as a cache sees it (RedisInvalidations). */
export interface InvalidationChannel {
  /** Whether invalidations are being delivered now (connected, and its last heartbeat answered): nothing is kept or served otherwise. */
  usable(): boolean;
  /** Tells `listener` of every key invalidated from now on, and of every time invalidations may have been missed. */
  subscribe(listener: InvalidationListener): void;
}

/**
 * Values read from Redis keys, kept in process memory (at most `maxEntries`, least recently used
 * go first) and dropped when Redis reports the key changed, by this instance or any other.
 *
 * Nothing is served or kept while the channel is not usable (fail closed). A load races the
 * invalidation of the same key, which arrives on another connection: a reply read before a change
 * may come in after that change's invalidation. So a load is registered when it starts, an
 * invalidation (or a lost channel) cancels it, and only a load still registered when it ends keeps
 * its value (the "caching in progress" placeholder of Redis' client-side caching guide).
 */
export class TrackedCache<V> {
  readonly #channel: InvalidationChannel;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, V>();
  readonly #loading = new Map<string, object>();

  constructor(deps: { channel: InvalidationChannel; maxEntries: number }) {
    this.#channel = deps.channel;
    this.#maxEntries = deps.maxEntries;
    deps.channel.subscribe({
      keys: (keys) => {
        for (const key of keys) this.evict(key);
      },
      lost: () => {
        this.#entries.clear();
        this.#loading.clear();
      },
    });
  }

  /** The cached value of `key`, or `undefined` (not cached, or the channel is not usable). */
  get(key: string): V | undefined {
    if (this.#maxEntries <= 0 || !this.#channel.usable()) return undefined;
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key); // re-insert: most recently used last
      this.#entries.set(key, value);
    }
    return value;
  }

  /**
   * Reads `key` with `load` (which asks Redis) and keeps what it gives unless the key was
   * invalidated or the channel lost meanwhile. `undefined` (nothing there) is not kept.
   */
  async load<T extends V | undefined>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.#maxEntries <= 0 || !this.#channel.usable()) return load();
    const ticket = {};
    this.#loading.set(key, ticket);
    let value: T;
    try {
      value = await load();
    } catch (error) {
      if (this.#loading.get(key) === ticket) this.#loading.delete(key);
      throw error;
    }
    if (this.#loading.get(key) !== ticket) return value;
    this.#loading.delete(key);
    if (value !== undefined && this.#channel.usable()) this.#remember(key, value);
    return value;
  }

  /** Drops `key` and cancels its loads in flight (this instance is about to change it, or did). */
  evict(key: string): void {
    this.#entries.delete(key);
    this.#loading.delete(key);
  }

  /** Whether `key` is held (what the tests inspect). */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #remember(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
