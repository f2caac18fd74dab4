import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` for a store's directory, one level at a time. Node's `mkdirSync(dir, { recursive: true })`
 * never returns when a parent exists but cannot hold children, as under /proc: it steps back on
 * ENOENT and forward on EEXIST, forever, at full CPU, and the process no longer answers SIGTERM
 * (seen here on Node 20.20 and 24.21 with `/proc/nope/app.db`; the same walk in Bun:
 * https://github.com/oven-sh/bun/pull/40600). Here the first directory that cannot be made fails
 * with its own error (ENOENT, EACCES, ENOTDIR…), which the app reports naming the setting.
 */
export function makeDirectories(directory: string, mode?: number): void {
  const target = resolve(directory);
  const missing: string[] = [];
  for (let current = target; !exists(current); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  // There, but a file: fails as mkdir does (EEXIST).
  if (missing.length === 0 && !statSync(target).isDirectory()) mkdirSync(target, { mode });
  for (const path of missing) {
    try {
      mkdirSync(path, { mode });
    } catch (error) {
      // Made meanwhile by another process starting beside this one: as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw error;
    }
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
