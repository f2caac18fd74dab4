/**
 * The index fields a session is saved with, so that a sign-out from the provider, which arrives
 * without the user's cookie, can find it.
 */
export interface SessionIndex {
  /** Provider session id from the id token's `sid` claim. */
  readonly sid?: string;
  /** Subject (`sub`) of the signed-in user, for back-channel logout tokens that carry no `sid`. */
  readonly subject?: string;
  /** Token store partition key of the signed-in account. */
  readonly accountId?: string;
  /**
   * When the session's sign-in happened (ms since the epoch): a sign-out from the provider applied
   * late (journaled during a store outage) ends only the sessions signed in before it came.
   */
  readonly signedInAt?: number;
}

/** A live session as an index finds it: its id and the index fields it was saved with (absent ones left out). */
export interface IndexedSession {
  readonly id: string;
  readonly subject?: string;
  readonly accountId?: string;
  readonly signedInAt?: number;
}

/**
 * Server-side browser sessions. The cookie carries only the session id; the data lives here.
 *
 * Sessions are indexed by the identity provider's session id (`sid`) and by the account, because a
 * sign-out from the provider arrives without the user's cookie (front-channel iframes often send
 * none, back-channel calls never do): the app must find the sessions from `sid` or `sub` alone.
 *
 * Every adapter passes test/adapters/session-store.contract.ts; each method's part of the contract
 * is on the method. An expired session is never returned by `get` nor found by a `find…` method.
 */
export interface SessionStore {
  /**
   * The session's data, or `undefined` when it does not exist or has expired. Stored text that is no
   * object (a damaged row or key) reads as `{}`: data of no shape the app writes, an ended session.
   */
  get(id: string): Promise<Record<string, unknown> | undefined>;
  /** Creates or replaces the session and moves its index entries; it expires `ttlMs` from now. */
  set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<void>;
  /**
   * Like `set`, but only for a session that still exists unexpired: resolves `false` and writes
   * nothing otherwise, so a session a sign-out ended meanwhile is never brought back.
   */
  update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number): Promise<boolean>;
  /**
   * Deletes the session and its index entries; resolves to whether it existed (unexpired) until
   * this call. Deleting a missing one is not an error (idempotent): two sign-outs racing over one
   * session both succeed, and only one is told it ended it.
   */
  destroy(id: string): Promise<boolean>;
  /** The unexpired sessions bound to provider session `sid` (front-channel sign-out); `[]` when none. */
  findBySid(sid: string): Promise<IndexedSession[]>;
  /** The unexpired sessions of user `subject` (a logout token naming only `sub`, the "Your sessions" page); `[]` when none. */
  findBySubject(subject: string): Promise<IndexedSession[]>;
  /**
   * The unexpired sessions whose tokens are in partition `accountId` (the operator signing out one
   * account); `[]` when none. Sessions saved by a version without this index are found once saved again.
   */
  findByAccount(accountId: string): Promise<IndexedSession[]>;
}
