import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The dev world's generated secrets (client secrets, cookie and signing keys) live in small JSON
 * files in the git-ignored data folder, readable by this user only, so nothing secret is ever
 * committed and everything survives a restart.
 */

/** The file's content, or `undefined` when it does not exist yet. */
export function readSecretsFile<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes `value` with mode 0600. `exclusive`: fail if the file appeared meanwhile, so two processes
 * starting on an empty folder never both write different keys (one of them would then sign what
 * nobody can verify after a restart).
 */
export function writeSecretsFile(file: string, value: unknown, options: { exclusive?: boolean } = {}): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: options.exclusive ? 'wx' : 'w' });
}
