import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { JournaledSignOut, SignOutJournal } from '../../ports/sign-out-journal.port.ts';
import { removeIfPresent, writeAtomically, writeAtomicallySync } from './durable-file.ts';
import { acquireLock, releaseLock } from './journal-file-lock.ts';

const DEFAULT_MAX_ENTRIES = 1000;
const DEFAULT_MAX_BYTES = 256 * 1024;

/**
 * SignOutJournal kept in this process and, with `file`, in a JSON file rewritten atomically on
 * every change (a temporary file, fsync, rename over the old one, fsync of the folder), so an entry
 * that `append` confirmed survives a crash or restart. Without `file` (tests, one-process set-ups)
 * it lives in memory only. Bounded in entries and serialized bytes: when full, `append` refuses.
 *
 * With `file`, the journal holds `<file>.lock` (this process's pid) from its construction until
 * `close`: a second journal on the same file, in this or another live process, is refused with
 * SignOutJournalInUse. A lock naming a process that no longer runs is stale and taken over.
 */
export class LocalSignOutJournal implements SignOutJournal {
  readonly #file: string | undefined;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #entries: JournaledSignOut[] = [];
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  /** Runs after each entry is durably added (the app drops what this instance keeps in memory). */
  readonly #onAppended: (() => void) | undefined;
  readonly #logger: Logger | undefined;

  /**
   * `formerFile`: a journal file an earlier version wrote (the old shared default path); its
   * entries are taken into this one, written durably, and only then is it removed.
   */
  constructor(deps: { file?: string; formerFile?: string; maxEntries?: number; maxBytes?: number; logger?: Logger; onAppended?: () => void } = {}) {
    this.#file = deps.file;
    this.#onAppended = deps.onAppended;
    this.#logger = deps.logger;
    this.#maxEntries = deps.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!deps.file) return;
    mkdirSync(dirname(deps.file), { recursive: true, mode: 0o700 });
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
    const id = randomUUID();
    const next = [...this.#entries, { id, ...entry }];
    if (next.length > this.#maxEntries || Buffer.byteLength(JSON.stringify(next)) > this.#maxBytes) return false;
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

  pending(): readonly JournaledSignOut[] {
    return this.#entries;
  }

  names(session: { readonly sid?: string; readonly subject?: string }): boolean {
    return this.#entries.some(
      (entry) => (entry.sid !== undefined && entry.sid === session.sid) || (entry.subject !== undefined && entry.subject === session.subject),
    );
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
 * The entries in `file`, `undefined` when there is none. An unreadable file, or one holding entries
 * that are not sign-outs (edited by hand, written by something else), is moved aside for an
 * operator to read, never silently dropped; the sign-outs it does hold are kept, written back at
 * once. Unchecked, one such entry made every signed-in request fail (`names` runs on each).
 */
function load(file: string, logger: Logger | undefined): JournaledSignOut[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
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
