import { MAX_SID_LENGTH } from '../domain/provider-session-id.ts';

/**
 * More provider sessions than most instances serve while a session lives; past it, the one noted
 * longest ago goes, and its user's next request notes it again. Memory stays small: under 1 MB
 * for GUIDs (Entra's sids), under 3 MB were every sid 255 characters long.
 */
const MAX_SIDS = 10_000;

/**
 * The provider session ids (`sid`) of the sessions this instance loaded or wrote lately, for the
 * sign-out journal: during a store outage nobody can tell a genuine front-channel `sid` from an
 * invented one, except that a `sid` of a session this instance served came from a verified ID
 * token (the session was written at sign-in). Such a `sid` may be journaled beyond the share of
 * the journal that unverified entries get (see LocalSignOutJournal), so a flood of invented ones
 * cannot crowd out the sign-out of a user this instance served. Nobody can put a `sid` here
 * without signing in at the provider.
 *
 * Bounded: beyond MAX_SIDS the one noted longest ago is forgotten. A `sid` whose session has ended
 * may still be here: journaling it ends nothing, and the journal holds one entry per `sid`. The
 * sids themselves, not hashes: the sessions an instance holds in memory carry them anyway, and a
 * lookup by string costs each session load about 0.1 µs where a SHA-256 costs over 1 µs.
 */
export class RecentSids {
  readonly #max: number;
  /** Insertion-ordered: the first is the one noted longest ago. */
  readonly #sids = new Set<string>();

  constructor(deps: { maxSids?: number } = {}) {
    this.#max = deps.maxSids ?? MAX_SIDS;
  }

  /** Notes the `sid` of a session this instance loaded or wrote; no `sid`, or one no request could name, is ignored. */
  note(sid: string | undefined): void {
    if (sid === undefined || sid === '' || sid.length > MAX_SID_LENGTH || this.#sids.has(sid)) return;
    this.#sids.add(sid);
    if (this.#sids.size > this.#max) this.#sids.delete(this.#sids.values().next().value!);
  }

  /** Whether this instance loaded or wrote a session bound to `sid` lately. */
  has(sid: string | undefined): boolean {
    return sid !== undefined && this.#sids.has(sid);
  }

  get size(): number {
    return this.#sids.size;
  }
}
