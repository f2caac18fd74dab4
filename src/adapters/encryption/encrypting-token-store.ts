import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { TokenPartition, TokenPartitionSummary, TokenStore } from '../../ports/token-store.port.ts';
import { TokenKeyring } from './token-keyring.ts';

/**
 * Encryption at rest for any TokenStore: partitions (refresh tokens are secrets) are sealed with
 * AES-256-GCM before they reach SQLite or Redis, bound to this app's client id and the account id.
 *
 * Only sealed data is ever returned. A value that is not sealed (anyone who can write to Redis or
 * the SQLite file could plant a token cache) or that no key opens (a retired key, tampering, another
 * client's or account's partition, a value sealed by an older version of this app) reads as absent,
 * with one warning: the user signs in again, the app does not crash.
 */
export class EncryptingTokenStore implements TokenStore {
  readonly #inner: TokenStore;
  readonly #keyring: TokenKeyring;
  readonly #clientId: string;
  readonly #logger: Logger;

  constructor(deps: { inner: TokenStore; keyring: TokenKeyring; clientId: string; logger: Logger }) {
    this.#inner = deps.inner;
    this.#keyring = deps.keyring;
    this.#clientId = deps.clientId;
    this.#logger = deps.logger;
  }

  async read(accountId: string): Promise<TokenPartition | undefined> {
    const partition = await this.#inner.read(accountId);
    if (!partition) return undefined;
    if (!TokenKeyring.isSealed(partition.data)) {
      this.#refuse('token partition is not sealed; refused and treated as absent', accountId);
      return undefined;
    }
    const data = this.#keyring.decrypt(partition.data, this.#context(accountId));
    if (data === undefined) {
      this.#refuse('token partition cannot be decrypted with any configured key; treated as absent', accountId);
      return undefined;
    }
    return { data, version: partition.version };
  }

  /**
   * A summary holds access tokens, so it is sealed too, under its own context (it cannot stand in
   * for the data or the other way round). One that is not sealed or that no key opens reads as no
   * summary: the caller then reads the data, which decides as above.
   */
  async readSummary(accountId: string): Promise<TokenPartitionSummary | undefined> {
    const partition = await this.#inner.readSummary(accountId);
    if (!partition) return undefined;
    const sealed = partition.summary;
    const summary = sealed !== undefined && TokenKeyring.isSealed(sealed) ? this.#keyring.decrypt(sealed, this.#context(accountId, 'summary')) : undefined;
    return { summary, version: partition.version };
  }

  version(accountId: string): Promise<string | undefined> {
    return this.#inner.version(accountId);
  }

  write(accountId: string, data: string, expectedVersion?: string, summary?: string): Promise<boolean> {
    const sealedSummary = summary === undefined ? undefined : this.#keyring.encrypt(summary, this.#context(accountId, 'summary'));
    return this.#inner.write(accountId, this.#keyring.encrypt(data, this.#context(accountId)), expectedVersion, sealedSummary);
  }

  remove(accountId: string, expectedVersion?: string): Promise<boolean> {
    return this.#inner.remove(accountId, expectedVersion);
  }

  keepUntil(accountId: string, expiresAt: number): Promise<void> {
    return this.#inner.keepUntil(accountId, expiresAt);
  }

  /**
   * The authenticated data: a JSON pair, so no (client id, account id) pair can be spelled like
   * another. A value sealed for another client sharing the store, or before the client id was
   * bound (the account id alone), fails to open. A summary's context names it as one.
   */
  #context(accountId: string, part?: 'summary'): string {
    return JSON.stringify(part ? [this.#clientId, accountId, part] : [this.#clientId, accountId]);
  }

  // The account id is personal data: the log gets a short hash that still tells partitions apart.
  #refuse(message: string, accountId: string): void {
    this.#logger.warn({ partitionHash: partitionHash(accountId) }, message);
  }
}

/** How a partition is named in a log line: a short hash of its account id, never the id itself. */
export function partitionHash(accountId: string): string {
  return createHash('sha256').update(accountId).digest('hex').slice(0, 12);
}
