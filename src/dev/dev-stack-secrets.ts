import { randomBytes } from 'node:crypto';
import { readSecretsFile, writeSecretsFile } from './secrets-file.ts';

/** Client secrets of the two dev apps, their session cookie keys and token encryption key. */
export interface DevStackSecrets {
  readonly clientSecrets: Record<string, string>;
  readonly sessionKeys: string[];
  readonly tokenEncryptionKeys: string[];
}

/**
 * Generated at the first offline start into a git-ignored file (mode 0600) and reused, so the
 * apps stay registered and their users signed in across restarts. Nothing secret is committed.
 */
export function loadOrCreateDevStackSecrets(file: string, clientIds: readonly string[]): DevStackSecrets {
  const stored: Partial<DevStackSecrets> = readSecretsFile<DevStackSecrets>(file) ?? {};
  const secret = () => randomBytes(32).toString('base64url');
  const clientSecrets = { ...stored.clientSecrets };
  for (const clientId of clientIds) clientSecrets[clientId] ??= secret();
  const secrets = {
    clientSecrets,
    sessionKeys: stored.sessionKeys?.length ? stored.sessionKeys : [secret()],
    tokenEncryptionKeys: stored.tokenEncryptionKeys?.length ? stored.tokenEncryptionKeys : [randomBytes(32).toString('base64')],
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) writeSecretsFile(file, secrets);
  return secrets;
}
