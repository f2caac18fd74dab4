import type { SignOutChannel } from '../domain/sign-out-names.ts';

/** A sign-out from the provider accepted while the shared store was down, to be applied later. */
export interface JournaledSignOut {
  readonly id: string;
  readonly channel: Extract<SignOutChannel, 'front-channel' | 'back-channel'>;
  /** The provider session that ended, or */
  readonly sid?: string;
  /**
   * every session of this user (a back-channel logout token naming only `sub`); beside a `sid`, the
   * user whose sessions of that `sid` ended (a logout token naming both).
   */
  readonly subject?: string;
  /** When it was accepted (epoch ms). */
  readonly at: number;
  /** A back-channel logout token's `jti`, claimed when the entry is applied, and until when it must be kept. */
  readonly jti?: string;
  readonly replayableUntil?: number;
}

/**
 * A small journal local to one app instance, for the sign-outs it accepted while the shared store
 * (Redis) could not be reached: Entra's front-channel iframe never retries, so a sign-out refused
 * with a 503 would be lost. It holds only what is needed to apply the sign-out later: the `sid` or
 * subject, the channel and the time (plus a logout token's `jti`), never a token or a cookie.
 *
 * Each method's contract is on the method. test/adapters/sign-out-journal.test.ts checks it against
 * the one adapter, LocalSignOutJournal (so there is no shared contract suite as for the stores);
 * test/http/sign-out-journal.test.ts checks the app applies journaled sign-outs once Redis is back.
 */
export interface SignOutJournal {
  /**
   * Adds an entry durably: resolves `true` once it would survive a restart of the process, `false`
   * (nothing added) when the journal is full, in entries or bytes, or when the entry is one anyone
   * could have sent (a front-channel `sid` the instance has no reason to believe) and such entries
   * have used their share of the journal, which keeps room for verified (back-channel) ones. An
   * entry the journal already holds (the same front-channel `sid`, the same logout token `jti`)
   * resolves `true` and is not added again.
   */
  append(entry: Omit<JournaledSignOut, 'id'>): Promise<boolean>;
  /** The entries not yet applied, oldest first. Synchronous: the request path asks it. */
  pending(): readonly JournaledSignOut[];
  /**
   * Whether a pending entry names this session: its `sid` (and, when the entry names a subject too,
   * its subject, unless the session has none recorded), or, for an entry without a `sid`, its
   * subject; never a session signed in after the entry came (`signedInAt` later than its `at`).
   * Synchronous, like `pending`.
   */
  names(session: { readonly sid?: string; readonly subject?: string; readonly signedInAt?: number }): boolean;
  /** Drops an applied entry durably; removing an unknown id is not an error. */
  remove(id: string): Promise<void>;
}
