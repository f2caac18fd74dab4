import type { RevocationOutcome } from '../../src/domain/sign-out-names.ts';
import type { RefreshTokenRevoker } from '../../src/ports/refresh-token-revoker.port.ts';
import type { TokenStore } from '../../src/ports/token-store.port.ts';
import type { FakeIdentityProvider, FakePartition } from './fake-identity-provider.ts';

/** A revocation the fake provider received, and whether the app still stored the partition then. */
export interface ReceivedRevocation {
  readonly refreshToken: string;
  readonly partitionStillStored: boolean;
}

/**
 * The revocation endpoint of FakeIdentityProvider, reading the fake's partition format (as the MSAL
 * adapter reads MSAL's). `mode`: `revokes` (the refresh token then fails), `unsupported` (no
 * revocation endpoint, like Entra), `fails` (the provider is down).
 */
export class FakeRefreshTokenRevoker implements RefreshTokenRevoker {
  mode: 'revokes' | 'unsupported' | 'fails' = 'revokes';
  readonly received: ReceivedRevocation[] = [];
  /** Revocations asked for, settled or not. */
  started = 0;
  #held: Promise<void> | undefined;
  readonly #provider: FakeIdentityProvider;
  readonly #tokenStore: TokenStore;

  constructor(deps: { provider: FakeIdentityProvider; tokenStore: TokenStore }) {
    this.#provider = deps.provider;
    this.#tokenStore = deps.tokenStore;
  }

  /** A slow provider: every revocation waits until the returned `release` is called. */
  hold(): () => void {
    let release!: () => void;
    this.#held = new Promise((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  async revoke(partitionData: string): Promise<RevocationOutcome> {
    this.started += 1;
    await this.#held;
    const partition = JSON.parse(partitionData) as FakePartition;
    if (!partition.refreshToken) return 'not-attempted';
    if (this.mode === 'unsupported') return 'unsupported';
    if (this.mode === 'fails') return 'failed';
    this.received.push({ refreshToken: partition.refreshToken, partitionStillStored: (await this.#tokenStore.read(partition.accountId)) !== undefined });
    this.#provider.refreshTokenRevoked.add(partition.accountId);
    return 'revoked';
  }
}
