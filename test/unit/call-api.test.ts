import { expect } from 'chai';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import type { SignedInAccount } from '../../src/domain/account.ts';
import { CallApi } from '../../src/domain/call-api.ts';
import { DownstreamApiUnavailable, InteractionRequired, StoreUnavailable } from '../../src/domain/errors.ts';
import { signOutResult } from '../../src/domain/sign-out-result.ts';
import { FakeDownstreamApi } from '../support/fake-downstream-api.ts';
import { ACCESS_TOKEN_LIFETIME_MS, FakeIdentityProvider } from '../support/fake-identity-provider.ts';
import { expectRejection } from './expect-rejection.ts';

const API_SCOPES = ['api://demo/Profile.Read'];
const ALICE_PROFILE = { displayName: 'Alice' };

describe('CallApi', () => {
  let time: number;
  let tokenStore: MemoryTokenStore;
  let provider: FakeIdentityProvider;
  let api: FakeDownstreamApi;
  let callApi: CallApi;
  let alice: SignedInAccount;
  let revoked: string[];
  let removalFails: boolean;

  beforeEach(async () => {
    time = Date.UTC(2030, 0, 1);
    const now = () => time;
    tokenStore = new MemoryTokenStore({ now });
    provider = new FakeIdentityProvider({ tokenStore, now });
    api = new FakeDownstreamApi();
    revoked = [];
    removalFails = false;
    const revokedTokens = {
      afterRevocation: async (account: SignedInAccount) => {
        if (removalFails) throw new StoreUnavailable('the token store is down');
        revoked.push(account.accountId);
        await tokenStore.remove(account.accountId);
        return signOutResult('cae-revocation', { subject: account.subject, sessionsEnded: 0, partitionRemoved: true, revocation: 'unsupported' });
      },
    };
    callApi = new CallApi({ identityProvider: provider, downstreamApi: api, apiScopes: API_SCOPES, revokedTokens });
    alice = await provider.signInDirectly(
      { accountId: 'alice.tenant', subject: 'alice-sub', username: 'alice@example.com' },
      { sid: 'sid-alice', scopes: API_SCOPES },
    );
  });

  it("answers with the API's data, called with the user's own token", async () => {
    const bob = await provider.signInDirectly(
      { accountId: 'bob.tenant', subject: 'bob-sub', username: 'bob@example.com' },
      { sid: 'sid-bob', scopes: API_SCOPES },
    );
    api.accept('at-alice.tenant-1', ALICE_PROFILE).accept('at-bob.tenant-1', { displayName: 'Bob' });

    expect(await callApi.execute(alice)).to.deep.equal(ALICE_PROFILE);
    expect(await callApi.execute(bob)).to.deep.equal({ displayName: 'Bob' });
    expect(api.receivedTokens).to.deep.equal(['at-alice.tenant-1', 'at-bob.tenant-1']);
  });

  it('reuses the cached token while it is valid', async () => {
    api.accept('at-alice.tenant-1', ALICE_PROFILE);

    await callApi.execute(alice);
    time += ACCESS_TOKEN_LIFETIME_MS - 1;
    await callApi.execute(alice);

    expect(api.receivedTokens).to.deep.equal(['at-alice.tenant-1', 'at-alice.tenant-1']);
  });

  it('refreshes an expired token, stores it and calls the API with the new one', async () => {
    api.accept('at-alice.tenant-2', ALICE_PROFILE);
    time += ACCESS_TOKEN_LIFETIME_MS;

    expect(await callApi.execute(alice)).to.deep.equal(ALICE_PROFILE);
    expect(api.receivedTokens).to.deep.equal(['at-alice.tenant-2']);
    expect((await tokenStore.read(alice.accountId))?.data).to.contain('at-alice.tenant-2');
  });

  it('requires interaction for the API scopes when the user has no cached tokens', async () => {
    await tokenStore.remove(alice.accountId);

    const error = await expectRejection(callApi.execute(alice), InteractionRequired);
    expect(error.scopes).to.deep.equal(API_SCOPES);
    expect(api.receivedTokens).to.deep.equal([]);
  });

  it('requires interaction when the refresh token was revoked', async () => {
    provider.refreshTokenRevoked.add(alice.accountId);
    time += ACCESS_TOKEN_LIFETIME_MS;

    const error = await expectRejection(callApi.execute(alice), InteractionRequired);
    expect(error.scopes).to.deep.equal(API_SCOPES);
  });

  it("requires interaction carrying the API's claims challenge and the scopes", async () => {
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    api.accept('at-alice.tenant-1', ALICE_PROFILE).challengeOnceWithClaims(claims);

    const error = await expectRejection(callApi.execute(alice), InteractionRequired);
    expect(error.claims).to.equal(claims);
    expect(error.scopes).to.deep.equal(API_SCOPES);
  });

  it('refreshes once after a plain 401 and succeeds when the API accepts the new token', async () => {
    api.accept('at-alice.tenant-1', ALICE_PROFILE).accept('at-alice.tenant-2', ALICE_PROFILE).refuseOnce();

    expect(await callApi.execute(alice)).to.deep.equal(ALICE_PROFILE);
    expect(api.receivedTokens).to.deep.equal(['at-alice.tenant-1', 'at-alice.tenant-2']);
  });

  it('names the refused token when it asks for a refresh: a token another request got meanwhile serves as well', async () => {
    const asked: unknown[] = [];
    const acquire = provider.acquireTokenSilently.bind(provider);
    provider.acquireTokenSilently = (request) => (asked.push(request), acquire(request));
    api.accept('at-alice.tenant-2', ALICE_PROFILE).refuseOnce();

    await callApi.execute(alice);
    expect(asked).to.deep.equal([
      { accountId: alice.accountId, scopes: API_SCOPES },
      { accountId: alice.accountId, scopes: API_SCOPES, forceRefresh: true, refusedToken: 'at-alice.tenant-1' },
    ]);
  });

  it('requires interaction when the API also refuses the refreshed token', async () => {
    api.refuseOnce().refuseOnce();

    const error = await expectRejection(callApi.execute(alice), InteractionRequired);
    expect(error.scopes).to.deep.equal(API_SCOPES);
    expect(error.claims).to.equal(undefined);
    expect(api.receivedTokens).to.deep.equal(['at-alice.tenant-1', 'at-alice.tenant-2']);
  });

  it('lets an unavailable API surface as DownstreamApiUnavailable, not as a sign-in prompt', async () => {
    api.unavailable = true;

    await expectRejection(callApi.execute(alice), DownstreamApiUnavailable);
    expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
  });

  describe('Continuous Access Evaluation claims challenges', () => {
    const revocation = JSON.stringify({ access_token: { nbf: { essential: true, value: '1700000000' } } });
    const stepUp = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    /** Where the claims are heard: the API's 401, or the provider refusing the refresh of an expired token. */
    const heardFrom: Array<[string, (claims: string) => void]> = [
      ["the API's challenge", (claims) => void api.challengeOnceWithClaims(claims)],
      ['a refresh refused with it', (claims) => {
        provider.refreshRefusedWithClaims.set(alice.accountId, claims);
        time += ACCESS_TOKEN_LIFETIME_MS;
      }],
    ];

    it('a revocation challenge on the retry after a plain 401 removes the tokens too', async () => {
      api.refuseOnce().challengeOnceWithClaims(revocation);
      const error = await expectRejection(callApi.execute(alice), InteractionRequired);
      expect(error.claims).to.equal(revocation);
      expect(revoked).to.deep.equal([alice.accountId]);
      expect(await tokenStore.read(alice.accountId), 'no tokens left').to.equal(undefined);
    });

    it('so does a refresh the provider refuses saying the sessions were revoked, without claims (Entra\'s AADSTS50173)', async () => {
      provider.sessionsRevoked.add(alice.accountId);
      time += ACCESS_TOKEN_LIFETIME_MS;
      const error = await expectRejection(callApi.execute(alice), InteractionRequired);
      expect(error.signedOut).to.equal(true);
      expect(error.claims).to.equal(undefined);
      expect(revoked).to.deep.equal([alice.accountId]);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it('so does the forced refresh after a plain 401', async () => {
      api.refuseOnce();
      provider.refreshRefusedWithClaims.set(alice.accountId, revocation);
      const error = await expectRejection(callApi.execute(alice), InteractionRequired);
      expect(error.signedOut).to.equal(true);
      expect(revoked).to.deep.equal([alice.accountId]);
    });

    for (const [where, hear] of heardFrom) {
      it(`a revocation challenge removes the tokens and ends the sessions first, then asks for sign-in with its claims (${where})`, async () => {
        hear(revocation);
        const error = await expectRejection(callApi.execute(alice), InteractionRequired);
        expect(error.claims).to.equal(revocation);
        expect(error.scopes).to.deep.equal(API_SCOPES);
        expect(error.signedOut, "the caller's session went with the others").to.equal(true);
        expect(revoked).to.deep.equal([alice.accountId]);
        expect(await tokenStore.read(alice.accountId), 'no tokens left').to.equal(undefined);
      });

      it(`a revocation challenge whose removal fails rejects with the store error, not a sign-in prompt (${where})`, async () => {
        removalFails = true;
        hear(revocation);
        await expectRejection(callApi.execute(alice), StoreUnavailable);
        expect(await tokenStore.read(alice.accountId), 'nothing removed, so the next call tries again').to.not.equal(undefined);
      });

      it(`a step-up claims request (acrs) asks for sign-in with its claims and keeps the tokens (${where})`, async () => {
        hear(stepUp);
        const error = await expectRejection(callApi.execute(alice), InteractionRequired);
        expect(error.claims).to.equal(stepUp);
        expect(error.signedOut).to.equal(false);
        expect(revoked).to.deep.equal([]);
        expect(await tokenStore.read(alice.accountId), 'other devices keep their tokens').to.not.equal(undefined);
      });
    }
  });
});
