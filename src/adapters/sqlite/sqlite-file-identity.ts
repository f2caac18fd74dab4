import { statSync } from 'node:fs';
import { StoreUnavailable } from '../../domain/errors.ts';

/**
 * Whether SQLITE_PATH still names the file this process opened. A file deleted or replaced under a
 * running instance (`rm`, a backup put back with `mv`) is still read and written through the
 * handle SQLite holds, and in WAL mode SQLite says nothing of it (no SQLITE_READONLY_DBMOVED): the
 * instance went on serving sessions that no other process could see or end, so an operator's
 * `npm run signout`, or a sign-out that reached a second instance, acted on the file now at the
 * path and reported success while this one kept the user signed in. Once seen, for good: the
 * instance must be restarted to open the file that is there now.
 */
export class SqliteFileIdentity {
  readonly #path: string;
  readonly #opened: FileId;
  #lost: StoreUnavailable | undefined;

  constructor(path: string) {
    this.#path = path;
    this.#opened = fileIdOf(path) ?? { dev: -1, ino: -1 };
  }

  /** Rejects with `StoreUnavailable` when the path no longer names the file opened (deleted, or another file), and ever after. */
  assertSameFile(): void {
    if (this.#lost) throw this.#lost;
    const now = fileIdOf(this.#path);
    if (now && now.dev === this.#opened.dev && now.ino === this.#opened.ino) return;
    this.#lost = new StoreUnavailable(
      `the SQLite file at SQLITE_PATH (${this.#path}) was ${now ? 'replaced by another file' : 'deleted'} while the app ran: restart the app to use the file there now`,
    );
    throw this.#lost;
  }
}

interface FileId {
  readonly dev: number;
  readonly ino: number;
}

function fileIdOf(path: string): FileId | undefined {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}
