import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Session cookie keys for development only: generated at first start into a git-ignored file and
 * reused, so sessions survive a restart. Production must set SESSION_KEYS (config refuses otherwise).
 */
export function loadOrCreateDevSessionKeys(path: string): string[] {
  if (existsSync(path)) {
    const keys = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (Array.isArray(keys) && keys.every((key) => typeof key === 'string')) return keys;
  }
  const keys = [randomBytes(32).toString('base64url')];
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  chmodSync(path, 0o600);
  return keys;
}
