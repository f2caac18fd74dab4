import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { readSecretsFile, writeSecretsFile } from '../secrets-file.ts';

export interface ProviderSecrets {
  /** Private RS256 signing key(s), a JWKS as oidc-provider's `jwks` option wants it. */
  readonly jwks: { keys: JWK[] };
  /** Keys that sign the provider's cookies (`cookies.keys`). */
  readonly cookieKeys: string[];
}

/**
 * Signing and cookie keys, generated on first start into `<dataDir>/jwks.json` and
 * `<dataDir>/cookie-keys.json` (mode 0600) and reused: tokens the web app holds stay verifiable,
 * and browser sessions at the provider stay valid, across restarts of the dev provider.
 */
export async function loadOrCreateProviderSecrets(dataDir: string): Promise<ProviderSecrets> {
  await mkdir(dataDir, { recursive: true });
  const jwks = await loadOrCreate(path.join(dataDir, 'jwks.json'), async () => ({ keys: [await newSigningKey()] }));
  const cookieKeys = await loadOrCreate(path.join(dataDir, 'cookie-keys.json'), async () => [randomBytes(32).toString('base64url')]);
  return { jwks, cookieKeys };
}

async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
}

async function loadOrCreate<T>(file: string, create: () => Promise<T>): Promise<T> {
  const stored = readSecretsFile<T>(file);
  if (stored !== undefined) return stored;
  const value = await create();
  writeSecretsFile(file, value, { exclusive: true });
  return value;
}
