import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { readSecretsFile, writeSecretsFile } from './secrets-file.ts';

/**
 * Where `npm start` keeps a developer's generated keys: beside the SQLite file (`data/`).
 * `npm run signout` reads the token key from the same place.
 */
export function devKeyFiles(env: NodeJS.ProcessEnv): { sessionKeys: string; tokenEncryptionKeys: string } {
  const sqlitePath = env.SQLITE_PATH?.trim();
  // An in-memory database has no folder: the keys go where the default file's would (git-ignored),
  // not into the working directory.
  const folder = dirname(sqlitePath && sqlitePath !== ':memory:' ? sqlitePath : './data/app.db');
  return { sessionKeys: join(folder, 'dev-session-keys.json'), tokenEncryptionKeys: join(folder, 'dev-token-encryption-keys.json') };
}

/**
 * Keys for a developer's `npm start` against a real provider without SESSION_KEYS or
 * TOKEN_ENCRYPTION_KEYS: 32 random bytes in base64url (a session key, or an AES-256 key: the
 * config reads base64url too), generated at first start into a git-ignored file and reused, so
 * sessions and stored tokens survive a restart. Never used in production (the config refuses to
 * start without the keys there), nor with TOKEN_STORE=redis (every instance needs the same ones).
 */
export function loadOrCreateDevKeys(file: string): string[] {
  const stored = readDevKeys(file);
  if (stored) return stored;
  const keys = [randomBytes(32).toString('base64url')];
  writeSecretsFile(file, keys);
  return keys;
}

/** A key as `loadOrCreateDevKeys` makes it: 32 bytes in base64url. */
const GENERATED_KEY = /^[A-Za-z0-9_-]{43}$/;

/**
 * The keys `loadOrCreateDevKeys` made into `file`, if it did: read only, nothing created. A file
 * that holds anything else is not replaced (its keys may be what reads the stored tokens): the
 * error names it, and says what to do.
 */
export function readDevKeys(file: string): string[] | undefined {
  let stored: unknown;
  try {
    stored = readSecretsFile<unknown>(file);
  } catch (error) {
    throw new Error(`the generated key file ${file} cannot be read (${(error as Error).message}); delete it to have new keys generated`, { cause: error });
  }
  if (stored === undefined) return undefined;
  if (!Array.isArray(stored) || stored.length === 0 || !stored.every((key) => typeof key === 'string' && GENERATED_KEY.test(key))) {
    throw new Error(`the generated key file ${file} does not hold keys this app generated; delete it to have new keys generated`);
  }
  return stored;
}
