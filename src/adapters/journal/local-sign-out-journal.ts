import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { makeDirectories } from '../make-directories.ts';
import { reachesSession } from '../../domain/sign-out-scope.ts';
import type { JournaledSignOut, SignOutJournal } from '../../ports/sign-out-journal.port.ts';
import { removeIfPresent, writeAtomically, writeAtomicallySync } from './durable-file.ts';
import { acquireLock, releaseLock } from './journal-file-lock.ts';

const DEFAULT_MAX_ENTRIES = 1000;
const DEFAULT_MAX_BYTES = 256 * 1024;

/**
 * Unverified entries are front-channel ones: the Logout URL is an unauthenticated GET, so during an
 * outage anyone can have a `sid` journaled. Back-channel entries are verified (the logout token's
 * signature was checked before it was journaled). Unverified entries may fill at most half the
 * journal, in entries and in bytes (500 entries, 128 KB by default): whatever strangers send, the
 * other half stays for verified sign-outs. Half, because nothing tells how an app's sign-outs split
 * between the channels (Entra sends only front-channel ones, most other providers back-channel
 * ones), and 500 is still more front-channel entries than a 10,000-user app's sign-outs in an
 * hour-long outage, at a sign-out per user per day.
 */
const UNVERIFIED_SHARE = 0.5;
/**
 * Unverified entries added per minute at most (by the entries' `at`), across all clients: a few
 * clients' worth (each may journal 30 a minute, see UnknownSidLimiter), so a flood from many
 * addresses takes minutes, not seconds, to fill the unverified half (five with GUID-long sids; with
 * 255-character ones, 369 entries fill its 128 KB in close to four), while most outages (a
 * failover, a restart) are over sooner. Genuine sign-outs rarely come this fast: 100 a
 * minute is a sign-out per user per day for 144,000 users, all reaching this one instance.
 */
const DEFAULT_UNVERIFIED_PER_MINUTE = 100;
const MINUTE_MS = 60_000;

/**
 * SignOutJournal kept in this process and, with `file`, in a JSON file rewritten atomically on
 * every change (a temporary file, fsync, rename over the old one, fsync of the folder), so an entry
 * that `append` confirmed survives a crash or restart. Without `file` (tests, one-process set-ups)
 * it lives in memory only. Bounded in entries and serialized bytes: when full, `append` refuses.
 * Unverified (front-channel) entries get at most UNVERIFIED_SHARE of either bound and
 * DEFAULT_UNVERIFIED_PER_MINUTE a minute, unless `knownSid` says the instance served a session bound to
 * the `sid` (RecentSids): such an entry is probably genuine, and may use the whole journal. An entry
 * the journal holds already (the same `sid` from the front-channel, the same logout token `jti`) is
 * not added twice: repeating one, a known `sid` say, cannot fill the journal either.
 *
 * With `file`, the journal holds `<file>.lock` (this process's pid) from its construction until
 * `close`: a second journal on the same file, in this or another live process, is refused with
 * SignOutJournalInUse. A lock naming a process that no longer runs is stale and taken over.
 */
export class LocalSignOutJournal implements SignOutJournal {
  readonly #file: string | undefined;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxUnverifiedPerMinute: number;
  /** Whether this instance served a session bound to `sid` lately (`undefined`: it knows none). */
  readonly #knownSid: ((sid: string) => boolean) | undefined;
  #entries: JournaledSignOut[] = [];
  /**
   * Appends under way, by what makes a repeat (repeatKey): a repeat waits for the first one's answer,
   * since an entry still being written is not durable and may yet be dropped.
   */
  readonly #appending = new Map<string, Promise<boolean>>();
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  /** Runs after each entry is durably added (the app drops what this instance keeps in memory). */
  readonly #onAppended: (() => void) | undefined;
  readonly #logger: Logger | undefined;

  /**
   * `formerFile`: a journal file an earlier version wrote (the old shared default path); its
   * entries are taken into this one, written durably, and only then is it removed.
   */
  constructor(
    deps: {
      file?: string;
      formerFile?: string;
      maxEntries?: number;
      maxBytes?: number;
      maxUnverifiedPerMinute?: number;
      knownSid?: (sid: string) => boolean;
      logger?: Logger;
      onAppended?: () => void;
    } = {},
  ) {
    this.#file = deps.file;
    this.#onAppended = deps.onAppended;
    this.#logger = deps.logger;
    this.#maxEntries = deps.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxUnverifiedPerMinute = deps.maxUnverifiedPerMinute ?? DEFAULT_UNVERIFIED_PER_MINUTE;
    this.#knownSid = deps.knownSid;
    if (!deps.file) return;
    makeDirectories(dirname(deps.file), 0o700);
    acquireLock(deps.file);
    try {
      this.#entries = load(deps.file, deps.logger) ?? [];
      if (deps.formerFile && resolve(deps.formerFile) !== resolve(deps.file)) this.#adopt(deps.file, deps.formerFile, deps.logger);
    } catch (error) {
      releaseLock(deps.file);
      throw error;
    }
  }

  async append(entry: Omit<JournaledSignOut, 'id'>): Promise<boolean> {
    this.#refuseIfClosed();
    const key = repeatKey(entry);
    if (key !== undefined) {
      // Being added by an append still writing: a repeat gets that append's answer, its failure too,
      // instead of an entry of its own (a burst of one known sid could otherwise fill the journal).
      const inFlight = this.#appending.get(key);
      if (inFlight) return inFlight;
      // Held durably already: it will be applied, and a second entry would only take room.
      if (this.#entries.some((kept) => repeatKey(kept) === key)) return true;
    }
    const adding = this.#add(entry);
    if (key !== undefined) {
      this.#appending.set(key, adding);
      adding.then(
        () => this.#appending.delete(key),
        () => this.#appending.delete(key),
      );
    }
    return adding;
  }

  async #add(entry: Omit<JournaledSignOut, 'id'>): Promise<boolean> {
    const id = randomUUID();
    const next = [...this.#entries, { id, ...entry }];
    if (next.length > this.#maxEntries || Buffer.byteLength(JSON.stringify(next)) > this.#maxBytes) return false;
    if (this.#unverified(entry) && !this.#withinUnverifiedBudget(next, entry.at)) return false;
    this.#entries = next;
    try {
      await this.#persist();
    } catch (error) {
      // Not durable, so not added: the caller answers with an error, and a sign-out it refused
      // must not be applied later from memory, or be written by the next change that succeeds.
      this.#entries = this.#entries.filter((kept) => kept.id !== id);
      throw error;
    }
    try {
      this.#onAppended?.();
    } catch (error) {
      // The entry is durable: the sign-out is accepted and will be applied, whatever this says.
      this.#logger?.error({ err: error }, 'sign-out journaled, but dropping what this instance keeps in memory failed');
    }
    return true;
  }

  /**
   * A front-channel entry anyone could have sent: not a back-channel one (its token was verified),
   * nor one naming a `sid` this instance served a session for.
   */
  #unverified(entry: Omit<JournaledSignOut, 'id'>): boolean {
    return entry.channel === 'front-channel' && !(entry.sid !== undefined && this.#knownSid?.(entry.sid));
  }

  /**
   * Whether the front-channel entries of `next` (the one being added among them) stay within their
   * share of entries and bytes, and within the rate for those accepted in the minute up to `at`.
   * Every front-channel entry counts, known `sid`s too: after a restart nothing tells them apart,
   * and a known one admitted beyond the share only leaves less of it to strangers.
   */
  #withinUnverifiedBudget(next: readonly JournaledSignOut[], at: number): boolean {
    const unverified = next.filter((kept) => kept.channel === 'front-channel');
    return (
      unverified.length <= Math.floor(this.#maxEntries * UNVERIFIED_SHARE) &&
      unverified.filter((kept) => kept.at > at - MINUTE_MS).length <= this.#maxUnverifiedPerMinute &&
      Buffer.byteLength(JSON.stringify(unverified)) <= Math.floor(this.#maxBytes * UNVERIFIED_SHARE)
    );
  }

  pending(): readonly JournaledSignOut[] {
    return this.#entries;
  }

  names(session: { readonly sid?: string; readonly subject?: string; readonly signedInAt?: number }): boolean {
    return this.#entries.some((entry) => reachesSession(entry, session));
  }

  async remove(id: string): Promise<void> {
    this.#refuseIfClosed();
    if (!this.#entries.some((entry) => entry.id === id)) return;
    this.#entries = this.#entries.filter((entry) => entry.id !== id);
    await this.#persist();
  }

  /**
   * Waits for the last write, then releases the file for the next process (the container disposes
   * it at shutdown). A change after this is refused: it could no longer be made durable.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writing;
    if (this.#file) releaseLock(this.#file);
  }

  #refuseIfClosed(): void {
    if (this.#closed && this.#file) throw new Error(`the sign-out journal ${this.#file} is closed`);
  }

  /** Writes the current entries; writes are queued so the last one on disk is the latest state. */
  #persist(): Promise<void> {
    const file = this.#file;
    if (!file) return Promise.resolve();
    const write = this.#writing.then(() => writeAtomically(file, JSON.stringify(this.#entries)));
    this.#writing = write.catch(() => {});
    return write;
  }

  /**
   * Takes the entries of a journal left at `former` (skipping those already here, by id: a crash
   * between the write below and the removal repeats this on the next start). Several apps may
   * have shared that file, so this app may take another's sign-outs; applying them here is harmless
   * (each names a provider session or user that the provider signed out) and dropping them is not.
   */
  #adopt(file: string, former: string, logger: Logger | undefined): void {
    const found = load(former, logger);
    if (found === undefined) return;
    const known = new Set(this.#entries.map((entry) => entry.id));
    const taken = found.filter((entry) => !known.has(entry.id));
    if (taken.length > 0) {
      this.#entries = [...this.#entries, ...taken].sort((a, b) => a.at - b.at);
      writeAtomicallySync(file, JSON.stringify(this.#entries));
    }
    removeIfPresent(former);
    logger?.info({ from: former, to: file, entries: taken.length }, 'the sign-out journal at the former default path was taken into this one and removed');
  }
}

/**
 * The entries in `file`, `undefined` when there is none. A damaged journal (JSON that does not
 * parse, or entries that are not sign-outs: edited by hand), is moved aside for an operator to read,
 * never silently dropped; the sign-outs it does hold are kept, written back at once. Unchecked, one
 * such entry made every signed-in request fail (`names` runs on each). A file that is no journal at
 * all (not a JSON array, as every write of the journal is: a mistyped SIGN_OUT_JOURNAL_PATH naming
 * another file) is refused (`code` NOT_A_SIGN_OUT_JOURNAL), not renamed.
 */
function load(file: string, logger: Logger | undefined): JournaledSignOut[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!text.trimStart().startsWith('[')) {
    throw Object.assign(new Error('the file holds something other than a sign-out journal (a JSON array); it is left as it is'), { code: 'NOT_A_SIGN_OUT_JOURNAL' });
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    entries = undefined;
  }
  const usable = Array.isArray(entries) ? entries.filter(isJournaledSignOut) : [];
  if (Array.isArray(entries) && usable.length === entries.length) return usable;
  const aside = `${file}.unreadable-${Date.now()}`;
  renameSync(file, aside);
  if (usable.length > 0) writeAtomicallySync(file, JSON.stringify(usable));
  logger?.warn(
    { movedTo: aside, kept: usable.length, unusable: Array.isArray(entries) ? entries.length - usable.length : undefined },
    'the sign-out journal could not be read whole; it was moved aside, and the sign-outs it held kept',
  );
  return usable;
}

function isJournaledSignOut(value: unknown): value is JournaledSignOut {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  const optionalText = (name: string) => entry[name] === undefined || (typeof entry[name] === 'string' && entry[name] !== '');
  return (
    typeof entry.id === 'string' &&
    (entry.channel === 'front-channel' || entry.channel === 'back-channel') &&
    typeof entry.at === 'number' &&
    optionalText('sid') &&
    optionalText('subject') &&
    (entry.sid !== undefined || entry.subject !== undefined) &&
    optionalText('jti') &&
    (entry.replayableUntil === undefined || typeof entry.replayableUntil === 'number')
  );
}

/** What makes two entries the same sign-out: the front-channel `sid`, or the logout token's `jti`. */
function repeatKey(entry: Omit<JournaledSignOut, 'id'>): string | undefined {
  if (entry.channel === 'front-channel') return entry.sid === undefined ? undefined : `sid:${entry.sid}`;
  return entry.jti === undefined ? undefined : `jti:${entry.jti}`;
}
