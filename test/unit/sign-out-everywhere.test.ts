import { expect } from 'chai';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import type { SignedInAccount } from '../../src/domain/account.ts';
import { CallApi } from '../../src/domain/call-api.ts';
import { SignOutRejected, StoreUnavailable } from '../../src/domain/errors.ts';
import { SignOutEverywhere } from '../../src/domain/sign-out-everywhere.ts';
import { MemoryReplayGuard } from '../../src/adapters/memory/memory-replay-guard.ts';
import { FakeDownstreamApi } from '../support/fake-downstream-api.ts';
import { FakeLogoutTokenVerifier } from '../support/fake-logout-token-verifier.ts';
import { ACCESS_TOKEN_LIFETIME_MS, FAKE_ISSUER, FakeIdentityProvider } from '../support/fake-identity-provider.ts';
import { expectRejection } from './expect-rejection.ts';

const API_SCOPES = ['api://demo/Profile.Read'];
const SESSION_TTL_MS = 8 * 3600 * 1000;
const SIGNED_OUT_URL = 'https://app.example/auth/signed-out';

describe('SignOutEverywhere', () => {
  let time: number;
  let tokenStore: MemoryTokenStore;
  let sessionStore: MemorySessionStore;
  let provider: FakeIdentityProvider;
  let signOut: SignOutEverywhere;
  let logoutTokens: FakeLogoutTokenVerifier;
  let alice: SignedInAccount;
  let bob: SignedInAccount;

  beforeEach(async () => {
    time = Date.UTC(2030, 0, 1);
    const now = () => time;
    tokenStore = new MemoryTokenStore({ now });
    sessionStore = new MemorySessionStore({ now });
    provider = new FakeIdentityProvider({ tokenStore, now });
    logoutTokens = new FakeLogoutTokenVerifier(now);
    signOut = new SignOutEverywhere({
      identityProvider: provider,
      tokenStore,
      sessionStore,
      logoutTokenVerifier: logoutTokens,
      replayGuard: new MemoryReplayGuard({ now }),
    });
    alice = await provider.signInDirectly(
      { accountId: 'alice.tenant', subject: 'alice-sub', username: 'alice@example.com', loginHint: 'hint-alice' },
      { sid: 'sid-alice', scopes: API_SCOPES },
    );
    bob = await provider.signInDirectly(
      { accountId: 'bob.tenant', subject: 'bob-sub', username: 'bob@example.com' },
      { sid: 'sid-bob', scopes: API_SCOPES },
    );
    await startSession('alice-laptop', alice);
    await startSession('alice-phone', alice); // same provider session, second browser tab/device
    await startSession('bob-laptop', bob);
    bobBefore = await bobNow();
  });

  async function startSession(id: string, account: SignedInAccount, sid = account.sid): Promise<void> {
    await sessionStore.set(id, { account }, { sid, subject: account.subject, accountId: account.accountId }, SESSION_TTL_MS);
  }

  /** Bob's partition (data and version) and session (data and index), as they were before the test acted. */
  let bobBefore: Awaited<ReturnType<typeof bobNow>>;
  async function bobNow() {
    return {
      partition: await tokenStore.read(bob.accountId),
      session: await sessionStore.get('bob-laptop'),
      bySid: await sessionStore.findBySid('sid-bob'),
      bySubject: await sessionStore.findBySubject(bob.subject),
    };
  }

  async function expectBobUntouched(): Promise<void> {
    expect(bobBefore.partition, 'the snapshot holds a partition').to.not.equal(undefined);
    expect(bobBefore.bySid, 'the snapshot holds a session').to.have.length(1);
    expect(await bobNow()).to.deep.equal(bobBefore);
  }

  describe('fromApp', () => {
    it("removes the user's tokens and the sessions of their provider session, and leaves other users alone", async () => {
      await signOut.fromApp(alice, SIGNED_OUT_URL);

      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.get('alice-laptop')).to.equal(undefined);
      expect(await sessionStore.get('alice-phone')).to.equal(undefined);
      await expectBobUntouched();
    });

    it("sends the browser to the provider's end-session endpoint with the return URL and the hint", async () => {
      const { endSessionUrl } = await signOut.fromApp(alice, SIGNED_OUT_URL);

      const url = new URL(endSessionUrl ?? '');
      expect(url.origin + url.pathname).to.equal('https://idp.example/logout');
      expect(url.searchParams.get('post_logout_redirect_uri')).to.equal(SIGNED_OUT_URL);
      expect(url.searchParams.get('logout_hint')).to.equal('hint-alice');
    });
  });

  describe('fromFrontChannel (front-channel, by sid)', () => {
    it("removes the account's tokens and ends every session bound to the sid, without a cookie", async () => {
      const result = await signOut.fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.deep.equal({ sessionsEnded: 2 });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
      await expectBobUntouched();
    });

    it('answers normally for an unknown sid and changes nothing', async () => {
      expect(await signOut.fromFrontChannel({ sid: 'sid-nobody' })).to.deep.equal({ sessionsEnded: 0 });
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      await expectBobUntouched();
    });

    it('can be repeated: the second sign-out of the same sid ends nothing and does not fail', async () => {
      await signOut.fromFrontChannel({ sid: 'sid-alice' });
      expect(await signOut.fromFrontChannel({ sid: 'sid-alice' })).to.deep.equal({ sessionsEnded: 0 });
      await expectBobUntouched();
    });

    it("accepts the provider's own issuer", async () => {
      expect(await signOut.fromFrontChannel({ sid: 'sid-alice', iss: FAKE_ISSUER })).to.deep.equal({ sessionsEnded: 2 });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it('rejects a request naming another issuer and removes nothing', async () => {
      await expectRejection(signOut.fromFrontChannel({ sid: 'sid-alice', iss: 'https://evil.example/v2.0' }), SignOutRejected);

      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.have.length(2);
    });
  });

  describe('fromBackChannel (logout token)', () => {
    it('ends every session of the subject across provider sessions when the token names only sub', async () => {
      await startSession('alice-other-sid', alice, 'sid-alice-2');

      const result = await signOut.fromBackChannel(logoutTokens.issue({ subject: alice.subject }));

      expect(result).to.deep.equal({ sessionsEnded: 3 });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySubject(alice.subject)).to.deep.equal([]);
      await expectBobUntouched();
    });

    it('ends only the sessions of the sid when the token names a sid', async () => {
      await startSession('alice-other-sid', alice, 'sid-alice-2');

      const result = await signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-alice', subject: alice.subject }));

      expect(result).to.deep.equal({ sessionsEnded: 2 });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice-2')).to.have.length(1);
      await expectBobUntouched();
    });

    it('accepts a logout token once: a replay of its jti is rejected', async () => {
      const token = logoutTokens.issue({ sid: 'sid-alice', jti: 'jti-1' });
      await signOut.fromBackChannel(token);
      await expectRejection(signOut.fromBackChannel(token), SignOutRejected);
      await expectRejection(signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-bob', jti: 'jti-1' })), SignOutRejected);
      await expectBobUntouched();
    });

    it('accepts the provider\'s retry of a token whose first delivery failed in the store', async () => {
      const token = logoutTokens.issue({ sid: 'sid-alice', jti: 'jti-retry' });
      const remove = tokenStore.remove.bind(tokenStore);
      let failures = 1;
      tokenStore.remove = async (accountId: string) => {
        if (failures-- > 0) throw new StoreUnavailable('store down for one call');
        return remove(accountId);
      };

      await expectRejection(signOut.fromBackChannel(token), StoreUnavailable);
      expect(await tokenStore.read(alice.accountId), 'nothing removed yet').to.not.equal(undefined);

      expect(await signOut.fromBackChannel(token)).to.deep.equal({ sessionsEnded: 2 });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
      await expectRejection(signOut.fromBackChannel(token), SignOutRejected);
      await expectBobUntouched();
    });

    it('removes nothing for a token the verifier rejects', async () => {
      await expectRejection(signOut.fromBackChannel('forged'), SignOutRejected);
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.have.length(2);
    });
  });

  describe('no resurrection', () => {
    let api: FakeDownstreamApi;
    let callApi: CallApi;

    beforeEach(() => {
      api = new FakeDownstreamApi().accept('at-alice.tenant-2', { displayName: 'Alice' });
      callApi = new CallApi({ identityProvider: provider, downstreamApi: api, apiScopes: API_SCOPES, revokedTokens: signOut });
      time += ACCESS_TOKEN_LIFETIME_MS; // alice's token expired: the next call refreshes
    });

    it('does not let a refresh in flight during sign-out write the tokens back', async () => {
      const release = provider.holdRefresh();
      const call = callApi.execute(alice);
      await provider.refreshHeld();

      await signOut.fromFrontChannel({ sid: 'sid-alice' });
      release();
      await call;

      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it("does not let a refresh from before sign-out overwrite the user's next sign-in", async () => {
      const release = provider.holdRefresh();
      const call = callApi.execute(alice);
      await provider.refreshHeld();

      await signOut.fromApp(alice, SIGNED_OUT_URL);
      await provider.signInDirectly(
        { accountId: alice.accountId, subject: alice.subject, username: alice.username },
        { sid: 'sid-alice-new', scopes: API_SCOPES },
      );
      const afterNewSignIn = await tokenStore.read(alice.accountId);
      release();
      await call;

      expect(await tokenStore.read(alice.accountId)).to.deep.equal(afterNewSignIn);
    });
  });
});
