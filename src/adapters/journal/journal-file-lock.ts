import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { removeIfPresent } from './durable-file.ts';

/**
 * One process per journal file: `<file>.lock`, created exclusively (`wx`), holds the pid of the
 * process whose journal holds the file, from the journal's construction until its `close`.
 */

/**
 * The journal file is held by another journal, in this process or in another live one. Each
 * process rewrites the whole file from its own memory, so two on one file would erase each other's
 * entries: the second is refused instead.
 */
export class SignOutJournalInUse extends Error {
  override name = 'SignOutJournalInUse';
  readonly file: string;
  readonly lockFile: string;
  /** The process that holds it, as its lock file says (`undefined`: the lock kept changing hands). */
  readonly pid: number | undefined;

  constructor(file: string, lockFile: string, pid: number | undefined) {
    super(`the sign-out journal ${file} is held by ${pid === undefined ? 'another process' : `process ${pid}`} (${lockFile})`);
    this.file = file;
    this.lockFile = lockFile;
    this.pid = pid;
  }
}

/** Lock files held by journals of this process, released on `close` or, failing that, at exit. */
const held = new Set<string>();
let releaseAtExit = false;

function lockFileOf(file: string): string {
  return `${resolve(file)}.lock`;
}

export function acquireLock(file: string): void {
  const lock = lockFileOf(file);
  // Three tries: a stale lock removed here may be re-created by another process starting now.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = holderOf(lock);
      if (holder !== undefined && holds(holder, lock)) throw new SignOutJournalInUse(file, lock, holder);
      removeIfPresent(lock); // stale: its process is gone (or it was never fully written)
      continue;
    }
    // Read back: a process that judged the lock stale at the same moment may have replaced ours.
    if (holderOf(lock) !== process.pid) continue;
    held.add(lock);
    if (!releaseAtExit) {
      releaseAtExit = true;
      // A process that exits without disposing its container (a start that failed later on)
      // does not leave its lock behind; one that is killed does, and the next start takes it over.
      process.once('exit', () => {
        for (const lock of held) if (holderOf(lock) === process.pid) removeIfPresent(lock);
      });
    }
    return;
  }
  throw new SignOutJournalInUse(file, lock, holderOf(lock));
}

export function releaseLock(file: string): void {
  const lock = lockFileOf(file);
  if (!held.delete(lock)) return;
  // Never another's: a lock of ours can only have been replaced if it was judged stale.
  if (holderOf(lock) === process.pid) removeIfPresent(lock);
}

/**
 * Whether the process a lock names still holds it. This process holds it only if one of its
 * journals does: a lock naming our own pid that none of them holds was left by an earlier process
 * that had the same pid, as happens in containers, where the app is started as the same pid (often
 * 1) every time. Otherwise signal 0 asks whether the process exists: ESRCH says it does not, EPERM
 * that it does (another user's).
 */
function holds(pid: number, lock: string): boolean {
  if (pid === process.pid) return held.has(lock);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function holderOf(lock: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return /^[1-9]\d*$/.test(text) ? Number(text) : undefined;
}
