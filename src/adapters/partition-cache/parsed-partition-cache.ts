import type { TokenPartition, TokenPartitionSummary, TokenStore } from '../../ports/token-store.port.ts';

/**
 * Changes made to partitions elsewhere, as the store reports them: Redis client tracking
 * (src/adapters/redis), the SQLite file's log of removed partitions (src/adapters/sqlite), the
 * memory store's expiry sweep.
 */
export interface PartitionChanges {
  /**
   * Whether changes are being heard now. While they are not (the channel is down, reconnecting or
   * quiet) nothing is kept: a copy kept then could miss the change that ends it, and linger.
   */
  listening(): boolean;
  /** Tells `listener` of every change heard from now on, and of every time changes may have been missed. */
  subscribe(listener: {
    /** The account's partition was written or removed somewhere. */
    changed(accountId: string): void;
    /** Changes may have been missed (the channel broke or went quiet): forget everything. */
    lost(): void;
  }): void;
}

/**
 * How a partition becomes what the request path keeps (`V`): from the summary written beside it
 * when there is one, else from the whole partition. The summary is made here, on every write, so
 * every partition written through the cache carries one.
 */
export interface PartitionReading<V> {
  /** The summary to store beside `data`; `undefined` when there is none to make (then none is stored). */
  summarize(data: string, accountId: string): string | undefined;
  /** `V` from a summary `summarize` made; `undefined` when it is not one (then the data is read). */
  fromSummary(summary: string, version: string): V | undefined;
  /** `V` from the whole partition. */
  fromData(data: string, version: string, accountId: string): V;
}

/**
 * The one owner of parsed token partitions in this process: a TokenStore decorator that keeps at
 * most `maxEntries` partitions parsed (least recently used go first), so a request does not read,
 * decrypt and parse the partition again; one it does not hold it reads from the partition's summary
 * (`reading`), about half the bytes of the whole. Every use is checked against the store's current
 * version; and because every change goes through here or arrives as a `PartitionChanges` event,
 * the copy is dropped the moment the partition is written or removed, on this instance at once and
 * on the others when their invalidation arrives. So a signed-out user's tokens do not linger in
 * memory until the entry would next be used. What `V` keeps is the caller's choice: the MSAL
 * adapter keeps access tokens only, never a refresh token.
 */
export class ParsedPartitionCache<V extends { readonly version: string }> implements TokenStore {
  readonly #inner: TokenStore;
  readonly #reading: PartitionReading<V>;
  readonly #maxEntries: number;
  readonly #changes: PartitionChanges | undefined;
  readonly #entries = new Map<string, V>();
  /** Loads in flight: a load stores its result only if nothing evicted the account meanwhile. */
  readonly #loading = new Map<string, object>();

  constructor(deps: {
    inner: TokenStore;
    reading: PartitionReading<V>;
    maxEntries: number;
    changes?: PartitionChanges;
  }) {
    this.#inner = deps.inner;
    this.#reading = deps.reading;
    this.#maxEntries = deps.maxEntries;
    this.#changes = deps.changes;
    deps.changes?.subscribe({ changed: (accountId) => this.#evict(accountId), lost: () => this.clear() });
  }

  /** The account's current partition, parsed; `undefined` when it has none. */
  async current(accountId: string): Promise<V | undefined> {
    return (await this.lookup(accountId)).view;
  }

  /** As `current`, saying whether the parsed copy held in memory served (the app counts memory hits). */
  async lookup(accountId: string): Promise<{ view: V | undefined; fromMemory: boolean }> {
    if (!this.#keeping()) return { view: await this.#load(accountId), fromMemory: false };
    // Nothing held: read at once (the read gives the version too), not a version check first.
    if (this.#entries.has(accountId)) {
      const version = await this.#inner.version(accountId);
      const known = this.#entries.get(accountId);
      if (version && known?.version === version) {
        this.#entries.delete(accountId); // re-insert: most recently used last
        this.#entries.set(accountId, known);
        return { view: known, fromMemory: true };
      }
      this.#evict(accountId);
      if (!version) return { view: undefined, fromMemory: false };
    }
    const ticket = {};
    this.#loading.set(accountId, ticket);
    let parsed: V | undefined;
    try {
      parsed = await this.#load(accountId);
    } catch (error) {
      if (this.#loading.get(accountId) === ticket) this.#loading.delete(accountId);
      throw error;
    }
    // Evicted meanwhile (changed here or elsewhere, or the channel lost): used once, not kept.
    if (this.#loading.get(accountId) !== ticket) return { view: parsed, fromMemory: false };
    this.#loading.delete(accountId);
    if (parsed && this.#keeping()) this.#remember(accountId, parsed);
    else this.#entries.delete(accountId);
    return { view: parsed, fromMemory: false };
  }

  /** Whether copies may be kept now: a bound above 0, and every change heard where changes come from elsewhere. */
  #keeping(): boolean {
    return this.#maxEntries > 0 && (this.#changes?.listening() ?? true);
  }

  /**
   * The partition as `current` last checked it, without asking the store: only for showing the user
   * what is held, right after `current` in the same request — never for handing out a token.
   */
  async lastChecked(accountId: string): Promise<V | undefined> {
    return this.#entries.get(accountId) ?? this.current(accountId);
  }

  /** Whether a parsed copy of the account's partition is held (what the tests inspect). */
  holds(accountId: string): boolean {
    return this.#entries.has(accountId);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drops every parsed copy. */
  clear(): void {
    this.#entries.clear();
    this.#loading.clear();
  }

  read(accountId: string): Promise<TokenPartition | undefined> {
    return this.#inner.read(accountId);
  }

  readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    return this.#inner.readSummary(accountId);
  }

  version(accountId: string): Promise<string | undefined> {
    return this.#inner.version(accountId);
  }

  /** Writes the partition with its summary: the one `summary` given, else the one `reading` makes. */
  async write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    this.#evict(accountId);
    try {
      return await this.#inner.write(accountId, data, expectedVersion, summary ?? this.#reading.summarize(data, accountId));
    } finally {
      this.#evict(accountId); // a load that started during the write must not keep the old copy
    }
  }

  async remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    this.#evict(accountId);
    try {
      return await this.#inner.remove(accountId, expectedVersion);
    } finally {
      this.#evict(accountId);
    }
  }

  /**
   * Neither data nor version changes, so nothing is evicted here; Redis still reports the key as
   * changed (to every instance), and the copy is then read again once.
   */
  keepUntil(accountId: string, expiresAt: number): Promise<void> {
    return this.#inner.keepUntil(accountId, expiresAt);
  }

  /**
   * From the summary when there is a readable one; else (a partition written before summaries, or
   * without one) from the data, a second read.
   */
  async #load(accountId: string): Promise<V | undefined> {
    const found = await this.#inner.readSummary(accountId);
    if (!found) return undefined;
    const fromSummary = found.summary === undefined ? undefined : this.#reading.fromSummary(found.summary, found.version);
    if (fromSummary) return fromSummary;
    const partition = await this.#inner.read(accountId);
    return partition && this.#reading.fromData(partition.data, partition.version, accountId);
  }

  #evict(accountId: string): void {
    this.#entries.delete(accountId);
    this.#loading.delete(accountId);
  }

  #remember(accountId: string, parsed: V): void {
    this.#entries.delete(accountId);
    this.#entries.set(accountId, parsed);
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
