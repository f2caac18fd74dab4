import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { JournaledSignOut, SignOutJournal } from '../../ports/sign-out-journal.port.ts';

const DEFAULT_MAX_ENTRIES = 1000;
const DEFAULT_MAX_BYTES = 256 * 1024;

/**
 * SignOutJournal kept in this process and, with `file`, in a JSON file rewritten atomically on
 * every change (a temporary file, fsync, then rename over the old one), so an entry that `append`
 * confirmed survives a crash or restart. Without `file` (tests, one-process set-ups) it lives in
 * memory only. Bounded in entries and serialized bytes: when full, `append` refuses.
 */
export class LocalSignOutJournal implements SignOutJournal {
  readonly #file: string | undefined;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #entries: JournaledSignOut[];
  #writing: Promise<void> = Promise.resolve();

  constructor(deps: { file?: string; maxEntries?: number; maxBytes?: number; logger?: Logger } = {}) {
    this.#file = deps.file;
    this.#maxEntries = deps.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#entries = deps.file ? load(deps.file, deps.logger) : [];
  }

  async append(entry: Omit<JournaledSignOut, 'id'>): Promise<boolean> {
    const next = [...this.#entries, { id: randomUUID(), ...entry }];
    if (next.length > this.#maxEntries || Buffer.byteLength(JSON.stringify(next)) > this.#maxBytes) return false;
    this.#entries = next;
    await this.#persist();
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
    if (!this.#entries.some((entry) => entry.id === id)) return;
    this.#entries = this.#entries.filter((entry) => entry.id !== id);
    await this.#persist();
  }

  /** Writes the current entries; writes are queued so the last one on disk is the latest state. */
  #persist(): Promise<void> {
    const file = this.#file;
    if (!file) return Promise.resolve();
    const write = this.#writing.then(() => writeAtomically(file, JSON.stringify(this.#entries)));
    this.#writing = write.catch(() => {});
    return write;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

function load(file: string, logger: Logger | undefined): JournaledSignOut[] {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const entries = JSON.parse(text) as unknown;
    if (Array.isArray(entries)) return entries as JournaledSignOut[];
  } catch {
    // fall through: kept aside below for an operator to read, never silently dropped
  }
  const aside = `${file}.unreadable-${Date.now()}`;
  renameSync(file, aside);
  logger?.warn({ movedTo: aside }, 'the sign-out journal could not be read; it was moved aside');
  return [];
}
