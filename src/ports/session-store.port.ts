/**
 * Server-side browser sessions. The cookie carries only the session id; the data lives here.
 *
 * Sessions are indexed by the identity provider's session id (`sid`) and by the account, because a
 * sign-out from the provider arrives without the user's cookie (front-channel iframes often send
 * none, back-channel calls never do): the app must find the sessions from `sid` or `sub` alone.
 *
 * Contract (every adapter passes test/adapters/session-store.contract.ts):
 * - `get` resolves to `undefined` when the session does not exist or has expired.
 * - `set` creates or replaces the data and the index entries of that session; expiry is `ttlMs` from now.
 * - `update` does the same only if the session still exists, resolving `false` (and writing
 *   nothing) when it does not: a request that loaded a session before a sign-out ended it must not
 *   bring it back when it saves at its end.
 * - `destroy` is idempotent.
 * - `findBySid` / `findBySubject` resolve to `[]` when nothing matches; expired sessions never match.
 */
export interface SessionIndex {
  /** Provider session id from the id token's `sid` claim. */
  readonly sid?: string;
  /** Subject (`sub`) of the signed-in user, for back-channel logout tokens that carry no `sid`. */
  readonly subject?: string;
  /** Token store partition key of the signed-in account. */
  readonly accountId?: string;
}

export interface IndexedSession {
  readonly id: string;
  readonly accountId?: string;
}

export interface SessionStore {
  get(id: string): Promise<Record<string, unknown> | undefined>;
  set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void>;
  update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean>;
  destroy(id: string): Promise<void>;
  findBySid(sid: string): Promise<IndexedSession[]>;
  findBySubject(subject: string): Promise<IndexedSession[]>;
}
