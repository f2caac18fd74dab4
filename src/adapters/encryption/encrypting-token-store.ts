import { createHash } from 'node:crypto';
import type { TokenPartition, TokenStore } from '../../ports/token-store.port.ts';
import { TokenKeyring } from './token-keyring.ts';

/**
 * Encryption at rest for any TokenStore: partitions (refresh tokens are secrets) are sealed with
 * AES-256-GCM before they reach SQLite or Redis. A partition no key can open — a retired key, a
 * tampered value — reads as absent: the user signs in again, the app does not crash. A plaintext
 * partition written before encryption was turned on is still read, and sealed at its next write.
 */
export class EncryptingTokenStore implements TokenStore {
  constructor(
    private readonly inner: TokenStore,
    private readonly keyring: TokenKeyring,
    private readonly warn: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  async read(accountId: string): Promise<TokenPartition | undefined> {
    const partition = await this.inner.read(accountId);
    if (!partition) return undefined;
    if (!TokenKeyring.isSealed(partition.data)) return partition;
    const data = this.keyring.decrypt(partition.data, accountId);
    if (data === undefined) {
      this.warn('token partition cannot be decrypted with any configured key; treated as absent', {
        partition: createHash('sha256').update(accountId).digest('hex').slice(0, 12),
      });
      return undefined;
    }
    return { data, version: partition.version };
  }

  version(accountId: string): Promise<string | undefined> {
    return this.inner.version(accountId);
  }

  write(accountId: string, data: string, expectedVersion?: string): Promise<boolean> {
    return this.inner.write(accountId, this.keyring.encrypt(data, accountId), expectedVersion);
  }

  remove(accountId: string): Promise<void> {
    return this.inner.remove(accountId);
  }
}
