import { statSync } from 'node:fs';
import { StoreUnavailable } from '../../domain/errors.ts';

/**
 * Whether SQLITE_PATH still names the file this process opened. A file deleted or replaced under a
 * running instance (`rm`, a backup put back with `mv`) is still read and written through the
 * handle SQLite holds, and in WAL mode SQLite says nothing of it (no SQLITE_READONLY_DBMOVED): the
 * instance went on serving sessions that no other process could see or end, so an operator's
 * `npm run signout`, or a sign-out that reached a second instance, acted on the file now at the
 * path and reported success while this one kept the user signed in. Once seen, for good (`lost`):
 * the instance must be restarted to open the file that is there now. A path that cannot be looked
 * at for another reason (a permission changed, a network file system's error) fails that look only.
 */
export class SqliteFileIdentity {
  readonly #path: string;
  #opened: FileId | undefined;
  #lost: StoreUnavailable | undefined;

  constructor(path: string) {
    this.#path = path;
    const found = lookAt(path);
    this.#opened = 'dev' in found ? found : undefined;
  }

  /** Set once the path is seen to name no file, or another one, than the one opened. */
  get lost(): StoreUnavailable | undefined {
    return this.#lost;
  }

  /** Rejects with `StoreUnavailable` when the path no longer names the file opened (ever after), or cannot be looked at now. */
  assertSameFile(): void {
    if (this.#lost) throw this.#lost;
    const now = lookAt(this.#path);
    if ('error' in now) {
      if (now.error === 'ENOENT' || now.error === 'ENOTDIR') throw this.#lose('deleted');
      throw new StoreUnavailable(`the SQLite file at SQLITE_PATH (${this.#path}) cannot be looked at: ${now.error}`);
    }
    this.#opened ??= now; // not seen at opening (that look failed): the first one seen
    if (now.dev !== this.#opened.dev || now.ino !== this.#opened.ino) throw this.#lose('replaced by another file');
  }

  #lose(how: string): StoreUnavailable {
    this.#lost = new StoreUnavailable(`the SQLite file at SQLITE_PATH (${this.#path}) was ${how} while the app ran: restart the app to use the file there now`);
    return this.#lost;
  }
}

interface FileId {
  readonly dev: number;
  readonly ino: number;
}

function lookAt(path: string): FileId | { error: string } {
  try {
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? 'unknown error' };
  }
}
