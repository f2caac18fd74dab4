import type { Logger } from 'pino';
import type { TokenPartition, TokenPartitionSummary, TokenStore } from '../../ports/token-store.port.ts';
import { partitionHash } from './encrypting-token-store.ts';
import { TokenKeyring } from './token-keyring.ts';

/**
 * The token store without encryption at rest (ALLOW_PLAINTEXT_TOKENS=true, no TOKEN_ENCRYPTION_KEYS),
 * for a store that may still hold partitions sealed while keys were configured: with no key to open
 * them, such a partition reads as absent, with one warning, as EncryptingTokenStore reads one no
 * configured key opens. Handed on as it was, its sealed text failed to parse as a token cache on
 * every request of that user (a 500), and a sign-out took it for holding no refresh token.
 */
export class PlaintextTokenStore implements TokenStore {
  readonly #inner: TokenStore;
  readonly #logger: Logger;

  constructor(deps: { inner: TokenStore; logger: Logger }) {
    this.#inner = deps.inner;
    this.#logger = deps.logger;
  }

  async read(accountId: string): Promise<TokenPartition | undefined> {
    const partition = await this.#inner.read(accountId);
    if (!partition || !TokenKeyring.isSealed(partition.data)) return partition;
    this.#logger.warn(
      { partitionHash: partitionHash(accountId) },
      'token partition is sealed and no TOKEN_ENCRYPTION_KEYS are configured; treated as absent',
    );
    return undefined;
  }

  /** A sealed summary reads as no summary: the caller then reads the data, which decides as above. */
  async readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    const partition = await this.#inner.readSummary(accountId);
    if (partition?.summary === undefined || !TokenKeyring.isSealed(partition.summary)) return partition;
    return { summary: undefined, version: partition.version };
  }

  version(accountId: string): Promise<string | undefined> {
    return this.#inner.version(accountId);
  }

  write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    return this.#inner.write(accountId, data, expectedVersion, summary);
  }

  remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    return this.#inner.remove(accountId, expectedVersion);
  }

  keepUntil(accountId: string, expiresAt: number): Promise<void> {
    return this.#inner.keepUntil(accountId, expiresAt);
  }
}
