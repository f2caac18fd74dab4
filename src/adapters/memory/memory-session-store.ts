import type { IndexedSession, SessionIndex, SessionStore } from '../../ports/session-store.port.ts';
import { sweepInTurns } from './sweep-in-turns.ts';

interface StoredSession {
  readonly data: Record<string, unknown>;
  readonly index: SessionIndex;
  readonly expiresAt: number;
}

/**
 * A real in-process SessionStore: the single-instance fallback and the fake used by unit tests.
 *
 * The sid, subject and account indexes make a sign-out cost O(sessions of that user) instead of a
 * scan of every session. Data is copied in and out (structuredClone) so a caller
 * mutating an object cannot change what is stored, matching the serializing adapters.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, StoredSession>();
  readonly #bySid = new Map<string, Set<string>>();
  readonly #bySubject = new Map<string, Set<string>>();
  readonly #byAccount = new Map<string, Set<string>>();
  readonly #now: () => number;

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    const stored = this.#live(id);
    return stored && structuredClone(stored.data);
  }

  async set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void> {
    const copy = structuredClone(data); // throws before anything changes if data can't be cloned
    this.#delete(id);
    const { sid, subject, accountId, signedInAt } = index;
    this.#sessions.set(id, { data: copy, index: { sid, subject, accountId, signedInAt }, expiresAt: this.#now() + ttlMs });
    if (sid !== undefined) addTo(this.#bySid, sid, id);
    if (subject !== undefined) addTo(this.#bySubject, subject, id);
    if (accountId !== undefined) addTo(this.#byAccount, accountId, id);
  }

  async update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean> {
    if (!this.#live(id)) return false;
    await this.set(id, data, index, ttlMs);
    return true;
  }

  async destroy(id: string): Promise<boolean> {
    const existed = this.#live(id) !== undefined;
    this.#delete(id);
    return existed;
  }

  async findBySid(sid: string): Promise<IndexedSession[]> {
    return this.#find(this.#bySid.get(sid));
  }

  async findBySubject(subject: string): Promise<IndexedSession[]> {
    return this.#find(this.#bySubject.get(subject));
  }

  async findByAccount(accountId: string): Promise<IndexedSession[]> {
    return this.#find(this.#byAccount.get(accountId));
  }

  /**
   * Deletes every expired session and its index entries, yielding to the event loop between
   * batches (sweep-in-turns.ts); resolves to how many were deleted.
   */
  sweepExpired(): Promise<number> {
    const now = this.#now();
    return sweepInTurns(this.#sessions, (stored) => stored.expiresAt <= now, (id) => this.#delete(id));
  }

  #find(ids: Set<string> | undefined): IndexedSession[] {
    const found: IndexedSession[] = [];
    // Copy first: #live may delete an expired session from the set being iterated.
    for (const id of [...(ids ?? [])]) {
      const stored = this.#live(id);
      if (!stored) continue;
      const { subject, accountId, signedInAt } = stored.index;
      found.push({ id, ...(subject !== undefined && { subject }), ...(accountId !== undefined && { accountId }), ...(signedInAt !== undefined && { signedInAt }) });
    }
    return found;
  }

  #live(id: string): StoredSession | undefined {
    const stored = this.#sessions.get(id);
    if (stored && stored.expiresAt <= this.#now()) {
      this.#delete(id);
      return undefined;
    }
    return stored;
  }

  #delete(id: string): void {
    const stored = this.#sessions.get(id);
    if (!stored) return;
    this.#sessions.delete(id);
    if (stored.index.sid !== undefined) removeFrom(this.#bySid, stored.index.sid, id);
    if (stored.index.subject !== undefined) removeFrom(this.#bySubject, stored.index.subject, id);
    if (stored.index.accountId !== undefined) removeFrom(this.#byAccount, stored.index.accountId, id);
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids) ids.add(id);
  else index.set(key, new Set([id]));
}

// Empty sets are dropped too, or the index would keep one entry per sid ever seen.
function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}
