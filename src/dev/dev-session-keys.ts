import { randomBytes } from 'node:crypto';
import { readSecretsFile, writeSecretsFile } from './secrets-file.ts';

/**
 * Session cookie keys for a developer's `npm start` against a real provider without SESSION_KEYS:
 * generated at first start into a git-ignored file and reused, so sessions survive a restart.
 * Never used in production (the config refuses to start without SESSION_KEYS there).
 */
export function loadOrCreateDevSessionKeys(file: string): string[] {
  const stored = readSecretsFile<unknown>(file);
  if (Array.isArray(stored) && stored.length > 0 && stored.every((key) => typeof key === 'string')) return stored;
  const keys = [randomBytes(32).toString('base64url')];
  writeSecretsFile(file, keys);
  return keys;
}
