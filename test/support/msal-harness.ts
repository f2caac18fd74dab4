import nock from 'nock';
import { FetchNetworkClient } from '../../src/adapters/msal/fetch-network-client.ts';
import { MsalIdentityProvider } from '../../src/adapters/msal/msal-identity-provider.ts';
import { ProviderMetadata } from '../../src/adapters/msal/provider-metadata.ts';
import { codeChallengeS256, randomToken } from '../../src/domain/random.ts';
import type { SignedInAccount } from '../../src/domain/account.ts';
import type { TokenStore } from '../../src/ports/token-store.port.ts';
import type { FakeEntra, FakeUser } from './fake-entra.ts';

export const GRAPH_SCOPES = ['User.Read'] as const;

/** Real network off; only loopback (in-process HTTP tests) may connect. */
export function blockNetwork(): void {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
}

export function msalIdentityProvider(entra: FakeEntra, tokenStore: TokenStore, warnings: string[] = []) {
  const networkClient = new FetchNetworkClient(2000);
  return new MsalIdentityProvider({
    msalSettings: {
      authority: entra.authority,
      clientId: entra.clientId,
      clientSecret: 'test-secret',
      redirectUri: 'http://localhost:3000/auth/redirect',
    },
    tokenStore,
    providerMetadata: new ProviderMetadata({ authority: entra.authority, networkClient }),
    networkClient,
    logger: { warn: (message) => warnings.push(message), error: (message) => warnings.push(message) },
  });
}

/** The whole authorization code flow against the fake provider, as the SignIn use case drives it. */
export async function signInThroughMsal(
  identityProvider: MsalIdentityProvider,
  entra: FakeEntra,
  user: FakeUser,
  sid?: string,
): Promise<SignedInAccount> {
  const state = randomToken();
  const nonce = randomToken();
  const codeVerifier = randomToken();
  const url = await identityProvider.authorizationUrl({
    scopes: GRAPH_SCOPES,
    state,
    nonce,
    codeChallenge: codeChallengeS256(codeVerifier),
  });
  const { code } = entra.authorize(url, user, sid);
  return identityProvider.redeemCode({ code, codeVerifier, scopes: GRAPH_SCOPES, state, nonce });
}
