import { expect } from 'chai';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import type { SignedInAccount } from '../../src/domain/account.ts';
import { CallApi } from '../../src/domain/call-api.ts';
import { InteractionRequired, SignOutRejected, StoreUnavailable } from '../../src/domain/errors.ts';
import { SignOutEverywhere } from '../../src/domain/sign-out-everywhere.ts';
import { failedResult, type SignOutResult } from '../../src/domain/sign-out-result.ts';
import { MemoryReplayGuard } from '../../src/adapters/memory/memory-replay-guard.ts';
import { FakeDownstreamApi } from '../support/fake-downstream-api.ts';
import { FakeLogoutTokenVerifier } from '../support/fake-logout-token-verifier.ts';
import { FakeRefreshTokenRevoker } from '../support/fake-refresh-token-revoker.ts';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
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
  let revoker: FakeRefreshTokenRevoker;
  let alice: SignedInAccount;
  let bob: SignedInAccount;

  beforeEach(async () => {
    time = Date.UTC(2030, 0, 1);
    const now = () => time;
    tokenStore = new MemoryTokenStore({ now });
    sessionStore = new MemorySessionStore({ now });
    provider = new FakeIdentityProvider({ tokenStore, now });
    logoutTokens = new FakeLogoutTokenVerifier(now);
    revoker = new FakeRefreshTokenRevoker({ provider, tokenStore });
    signOut = withJournal(undefined);
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

  function withJournal(signOutJournal: LocalSignOutJournal | undefined, replayGuard = new MemoryReplayGuard({ now: () => time })): SignOutEverywhere {
    return new SignOutEverywhere({
      identityProvider: provider,
      tokenStore,
      sessionStore,
      logoutTokenVerifier: logoutTokens,
      replayGuard,
      refreshTokenRevoker: revoker,
      signOutJournal,
      now: () => time,
    });
  }

  async function signInCarol(): Promise<SignedInAccount> {
    return provider.signInDirectly({ accountId: 'carol.tenant', subject: 'carol-sub', username: 'carol@example.com' }, { sid: 'sid-carol', scopes: API_SCOPES });
  }

  async function expectBobUntouched(): Promise<void> {
    expect(bobBefore.partition, 'the snapshot holds a partition').to.not.equal(undefined);
    expect(bobBefore.bySid, 'the snapshot holds a session').to.have.length(1);
    expect(await bobNow()).to.deep.equal(bobBefore);
  }

  describe('fromApp', () => {
    it("removes the user's tokens and the sessions of their provider session, and leaves other users alone", async () => {
      const result = await signOut.fromApp(alice, 'alice-laptop');

      expect(result).to.deep.equal({
        channel: 'app',
        outcome: 'removed',
        subject: 'alice-sub',
        sessionsEnded: 2,
        partitionRemoved: true,
        revocation: 'revoked',
        journaled: false,
      });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.get('alice-laptop')).to.equal(undefined);
      expect(await sessionStore.get('alice-phone')).to.equal(undefined);
      await expectBobUntouched();
    });

    it("sends the browser to the provider's end-session endpoint with the return URL and the hint", async () => {
      const endSessionUrl = await signOut.providerSignOutUrl(alice, SIGNED_OUT_URL);
      await signOut.fromApp(alice);

      const url = new URL(endSessionUrl ?? '');
      expect(url.origin + url.pathname).to.equal('https://idp.example/logout');
      expect(url.searchParams.get('post_logout_redirect_uri')).to.equal(SIGNED_OUT_URL);
      expect(url.searchParams.get('logout_hint')).to.equal('hint-alice');
    });

    it('reads the ID token for id_token_hint before the sign-out, and sends it after', async () => {
      const idTokenHint = await signOut.idTokenHint(alice);
      await signOut.fromApp(alice);
      expect(await signOut.idTokenHint(alice), 'gone with the partition').to.equal(undefined);

      const url = new URL((await signOut.providerSignOutUrl(alice, SIGNED_OUT_URL, idTokenHint))!);

      expect(idTokenHint).to.equal(`id-token-of-${alice.accountId}`);
      expect(url.searchParams.get('id_token_hint')).to.equal(idTokenHint);
      expect(provider.endSessionRequests).to.deep.equal([{ postLogoutRedirectUri: SIGNED_OUT_URL, logoutHint: 'hint-alice', idTokenHint }]);
    });
  });

  describe('fromFrontChannel (front-channel, by sid)', () => {
    it("removes the account's tokens and ends every session bound to the sid, without a cookie", async () => {
      const result = await signOut.fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ channel: 'front-channel', outcome: 'removed', subject: 'alice-sub', sessionsEnded: 2, partitionRemoved: true, revocation: 'revoked' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
      await expectBobUntouched();
    });

    it('answers normally for an unknown sid and changes nothing', async () => {
      expect(await signOut.fromFrontChannel({ sid: 'sid-nobody' })).to.include({ outcome: 'nothing-held', sessionsEnded: 0, subject: undefined, revocation: 'not-attempted' });
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      await expectBobUntouched();
    });

    it('can be repeated: the second sign-out of the same sid ends nothing and does not fail', async () => {
      await signOut.fromFrontChannel({ sid: 'sid-alice' });
      expect(await signOut.fromFrontChannel({ sid: 'sid-alice' })).to.include({ outcome: 'nothing-held', sessionsEnded: 0, partitionRemoved: false });
      await expectBobUntouched();
    });

    it("accepts the provider's own issuer", async () => {
      expect(await signOut.fromFrontChannel({ sid: 'sid-alice', iss: FAKE_ISSUER })).to.include({ sessionsEnded: 2 });
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

      expect(result).to.include({ channel: 'back-channel', outcome: 'removed', subject: 'alice-sub', sessionsEnded: 3, revocation: 'revoked' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySubject(alice.subject)).to.deep.equal([]);
      await expectBobUntouched();
    });

    it('ends only the sessions of the sid when the token names a sid', async () => {
      await startSession('alice-other-sid', alice, 'sid-alice-2');

      const result = await signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-alice', subject: alice.subject }));

      expect(result).to.include({ sessionsEnded: 2 });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice-2')).to.have.length(1);
      await expectBobUntouched();
    });

    it("ends nothing for a token naming one user's sid and another user's sub", async () => {
      const result = await signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-alice', subject: bob.subject }));

      expect(result).to.include({ outcome: 'nothing-held', sessionsEnded: 0 });
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.have.length(2);
      await expectBobUntouched();
    });

    it('ends the sessions of a sid that no subject was recorded for, whatever sub the token names', async () => {
      await sessionStore.set('alice-old', { account: alice }, { sid: 'sid-alice-old', accountId: alice.accountId }, SESSION_TTL_MS);

      expect(await signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-alice-old', subject: alice.subject }))).to.include({ sessionsEnded: 1 });
      expect(await sessionStore.findBySid('sid-alice-old')).to.deep.equal([]);
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

      expect(await signOut.fromBackChannel(token)).to.include({ sessionsEnded: 2, outcome: 'removed' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
      await expectRejection(signOut.fromBackChannel(token), SignOutRejected);
      await expectBobUntouched();
    });

    it('answers for the removal it did when a second delivery of its token won the claim meanwhile (the audit names the removal)', async () => {
      const guard = new MemoryReplayGuard({ now: () => time });
      const claim = guard.claim.bind(guard);
      let firstClaimHeld: (() => void) | undefined;
      // The first delivery's claim reaches the store only after the second delivery's (a slow reply).
      guard.claim = async (id, expiresAt) => {
        if (id.startsWith('logout-token:') && !firstClaimHeld) await new Promise<void>((resolve) => (firstClaimHeld = resolve));
        return claim(id, expiresAt);
      };
      const racing = withJournal(undefined, guard);
      const token = logoutTokens.issue({ sid: 'sid-alice', jti: 'jti-race' });

      const first = racing.fromBackChannel(token);
      while (!firstClaimHeld) await new Promise((resolve) => setImmediate(resolve));
      const second = await racing.fromBackChannel(token);
      firstClaimHeld();
      const firstResult = await first;

      expect(firstResult).to.include({ outcome: 'removed', sessionsEnded: 2, partitionRemoved: true, revocation: 'revoked' });
      expect(second).to.include({ outcome: 'nothing-held', sessionsEnded: 0, partitionRemoved: false });
      expect(revoker.received).to.have.length(1);
      await expectRejection(racing.fromBackChannel(token), SignOutRejected);
      await expectBobUntouched();
    });

    it('removes nothing for a token the verifier rejects', async () => {
      await expectRejection(signOut.fromBackChannel('forged'), SignOutRejected);
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.have.length(2);
    });
  });

  describe('revoking the refresh token at the provider', () => {
    it('revokes the refresh token the removed partition held, only once the partition is gone', async () => {
      await signOut.fromApp(alice);

      expect(revoker.received).to.deep.equal([{ refreshToken: 'rt-alice.tenant', partitionStillStored: false }]);
      time += ACCESS_TOKEN_LIFETIME_MS;
      await tokenStore.write(alice.accountId, JSON.stringify({ accountId: alice.accountId, accessTokens: {}, refreshToken: 'rt-alice.tenant' }));
      await expectRejection(provider.acquireTokenSilently({ accountId: alice.accountId, scopes: API_SCOPES }), InteractionRequired);
    });

    it('revokes on every channel that removes a partition', async () => {
      await startSession('carol-laptop', await signInCarol());
      const results = [
        await signOut.fromFrontChannel({ sid: 'sid-alice' }),
        await signOut.fromBackChannel(logoutTokens.issue({ subject: bob.subject })),
        await signOut.fromOperator({ subject: 'carol-sub' }),
      ];

      expect(results.map((result) => [result.channel, result.revocation])).to.deep.equal([
        ['front-channel', 'revoked'],
        ['back-channel', 'revoked'],
        ['operator', 'revoked'],
      ]);
      expect(revoker.received.map((received) => received.refreshToken)).to.deep.equal(['rt-alice.tenant', 'rt-bob.tenant', 'rt-carol.tenant']);
    });

    it("revokes when a CAE revocation challenge removes the tokens, and ends every session of the account, on every device", async () => {
      await startSession('alice-tablet', alice, 'sid-alice-tablet'); // another provider session of hers

      const result = await signOut.afterRevocation(alice);

      expect(result).to.include({ channel: 'cae-revocation', outcome: 'removed', sessionsEnded: 3, partitionRemoved: true, revocation: 'revoked' });
      for (const id of ['alice-laptop', 'alice-phone', 'alice-tablet']) expect(await sessionStore.get(id), id).to.equal(undefined);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await bobNow()).to.deep.equal(bobBefore);
    });

    it('revokes when a journaled sign-out is applied, and says it came from the journal', async () => {
      const journal = new LocalSignOutJournal();
      await journal.append({ channel: 'front-channel', sid: 'sid-alice', at: time });

      const reported: SignOutResult[] = [];

      expect(await withJournal(journal).applyJournal((result) => reported.push(result))).to.equal(1);
      expect(reported).to.have.length(1);
      expect(reported[0]).to.include({ channel: 'front-channel', outcome: 'removed', subject: 'alice-sub', revocation: 'revoked', journaled: true });
      expect(journal.pending()).to.deep.equal([]);
    });

    it('applies every journaled sign-out before any revocation settles, then revokes them all at once', async () => {
      const journal = new LocalSignOutJournal();
      await journal.append({ channel: 'front-channel', sid: 'sid-alice', at: time });
      await journal.append({ channel: 'front-channel', sid: 'sid-bob', at: time });
      const release = revoker.hold(); // a provider slow to revoke: up to 2 s each, one after another before
      const reported: SignOutResult[] = [];
      let reportedWhenLocallyDone: number | undefined;

      const applying = withJournal(journal).applyJournal(
        (result) => reported.push(result),
        () => (reportedWhenLocallyDone = reported.length),
      );
      for (let turn = 0; turn < 100 && revoker.started < 2; turn++) await new Promise(setImmediate);

      expect(revoker.started, 'both revocations under way together').to.equal(2);
      expect(reportedWhenLocallyDone, 'told once the tokens and sessions were gone, before any revocation settled').to.equal(0);
      expect(journal.pending(), 'nothing left to apply').to.deep.equal([]);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await tokenStore.read(bob.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-bob')).to.deep.equal([]);
      release();
      expect(await applying).to.equal(2);
      expect(reported.map((result) => [result.subject, result.outcome, result.revocation, result.journaled])).to.deep.equal([
        ['alice-sub', 'removed', 'revoked', true],
        ['bob-sub', 'removed', 'revoked', true],
      ]);
    });

    it('reports each journaled sign-out as it is applied, so a later one failing loses none', async () => {
      const journal = new LocalSignOutJournal();
      await journal.append({ channel: 'front-channel', sid: 'sid-alice', at: time });
      await journal.append({ channel: 'front-channel', sid: 'sid-bob', at: time });
      const findBySid = sessionStore.findBySid.bind(sessionStore);
      sessionStore.findBySid = async (sid: string) => {
        if (sid === 'sid-bob') throw new StoreUnavailable('store down again');
        return findBySid(sid);
      };
      const reported: SignOutResult[] = [];

      await expectRejection(withJournal(journal).applyJournal((result) => reported.push(result)), StoreUnavailable);

      expect(reported.map((result) => [result.subject, result.outcome, result.revocation])).to.deep.equal([['alice-sub', 'removed', 'revoked']]);
      expect(journal.pending().map((entry) => entry.sid)).to.deep.equal(['sid-bob']);
    });

    it('revokes the refresh token of a partition already removed when the store then fails, and says so', async () => {
      const destroy = sessionStore.destroy.bind(sessionStore);
      let failures = 1;
      sessionStore.destroy = async (id: string) => {
        if (failures-- > 0) throw new StoreUnavailable('store down while ending the sessions');
        return destroy(id);
      };

      const error = await expectRejection(signOut.fromOperator({ subject: alice.subject }), StoreUnavailable);

      expect(await tokenStore.read(alice.accountId), 'removed before the failure').to.equal(undefined);
      expect(revoker.received).to.deep.equal([{ refreshToken: 'rt-alice.tenant', partitionStillStored: false }]);
      expect(failedResult('operator', alice.subject, error)).to.include({ outcome: 'failed', subject: 'alice-sub', partitionRemoved: true, revocation: 'revoked' });
      // The retry ends the session left; the partition is gone, so nothing is revoked twice.
      expect(await signOut.fromOperator({ subject: alice.subject })).to.include({ outcome: 'removed', sessionsEnded: 1, partitionRemoved: false });
      expect(await sessionStore.findBySubject(alice.subject)).to.deep.equal([]);
      expect(revoker.received).to.have.length(1);
      await expectBobUntouched();
    });

    it('revokes the refresh token the removed partition held when a refresh rewrote it between the read and the removal', async () => {
      const remove = tokenStore.remove.bind(tokenStore);
      let refreshes = 1;
      tokenStore.remove = async (accountId: string, expectedVersion?: string) => {
        const current = await tokenStore.read(accountId);
        if (accountId === alice.accountId && current && refreshes-- > 0) {
          // Another instance's refresh lands first, with a rotated refresh token.
          const rotated = JSON.stringify({ ...JSON.parse(current.data), refreshToken: 'rt-alice-rotated' });
          expect(await tokenStore.write(accountId, rotated, current.version)).to.equal(true);
        }
        return remove(accountId, expectedVersion);
      };

      expect(await signOut.fromFrontChannel({ sid: 'sid-alice' })).to.include({ outcome: 'removed', partitionRemoved: true, revocation: 'revoked' });

      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(revoker.received.map((received) => received.refreshToken), 'the one removed').to.deep.equal(['rt-alice-rotated']);
      await expectBobUntouched();
    });

    it('revokes the refresh token of a partition whose removal failed though the store carried it out, and claims no removal', async () => {
      const remove = tokenStore.remove.bind(tokenStore);
      let failures = 1;
      tokenStore.remove = async (accountId: string, expectedVersion?: string) => {
        const removed = await remove(accountId, expectedVersion); // the DEL lands...
        if (failures-- > 0) throw new StoreUnavailable('no answer within the store deadline'); // ...after the deadline rejected it
        return removed;
      };

      const error = await expectRejection(signOut.fromApp(alice, 'alice-laptop'), StoreUnavailable);

      expect(await tokenStore.read(alice.accountId), 'removed after all').to.equal(undefined);
      expect(revoker.received, 'revoked now: no retry will find it').to.deep.equal([{ refreshToken: 'rt-alice.tenant', partitionStillStored: false }]);
      expect(failedResult('app', alice.subject, error)).to.include({ outcome: 'failed', partitionRemoved: false, revocation: 'revoked' });
      // The user's retry ends the sessions; there is no partition left to revoke.
      expect(await signOut.fromApp(alice, 'alice-laptop')).to.include({ outcome: 'removed', sessionsEnded: 2, partitionRemoved: false, revocation: 'not-attempted' });
      expect(revoker.received).to.have.length(1);
      await expectBobUntouched();
    });

    it('revokes the refresh token of a partition whose removal failed and did not happen: its next use asks for sign-in', async () => {
      const journal = new LocalSignOutJournal();
      const remove = tokenStore.remove.bind(tokenStore);
      tokenStore.remove = async () => {
        throw new StoreUnavailable('store down while removing the partition');
      };

      const result = await withJournal(journal).fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'journaled', partitionRemoved: false, revocation: 'revoked' });
      expect(revoker.received).to.deep.equal([{ refreshToken: 'rt-alice.tenant', partitionStillStored: true }]);
      time += ACCESS_TOKEN_LIFETIME_MS;
      await expectRejection(provider.acquireTokenSilently({ accountId: alice.accountId, scopes: API_SCOPES }), InteractionRequired);
      tokenStore.remove = remove;
      const reported: SignOutResult[] = [];
      await withJournal(journal).applyJournal((applied) => reported.push(applied));
      expect(reported[0]).to.include({ outcome: 'removed', sessionsEnded: 2, partitionRemoved: true, journaled: true });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it('refuses a sign-out the journal cannot hold with the store outage, the journal failure as its cause', async () => {
      const journal = new LocalSignOutJournal();
      const diskFull = new Error('ENOSPC: no space left on device');
      journal.append = async () => {
        throw diskFull;
      };
      sessionStore.findBySid = async () => {
        throw new StoreUnavailable('store down');
      };

      const error = await expectRejection(withJournal(journal).fromFrontChannel({ sid: 'sid-alice' }), StoreUnavailable);

      expect(error.cause).to.equal(diskFull);
      expect(failedResult('front-channel', undefined, error)).to.include({ outcome: 'failed', partitionRemoved: false, revocation: 'not-attempted' });
    });

    it('says what a sign-out did before the store failed, when the journal cannot hold it either', async () => {
      const journal = new LocalSignOutJournal();
      journal.append = async () => {
        throw new Error('ENOTDIR: not a directory');
      };
      sessionStore.destroy = async () => {
        throw new StoreUnavailable('store down while ending the sessions');
      };

      const error = await expectRejection(withJournal(journal).fromFrontChannel({ sid: 'sid-alice' }), StoreUnavailable);

      expect(failedResult('front-channel', undefined, error)).to.include({ outcome: 'failed', subject: 'alice-sub', partitionRemoved: true, revocation: 'revoked' });
      expect(revoker.received.map((received) => received.refreshToken)).to.deep.equal(['rt-alice.tenant']);
    });

    it('says what a journaled sign-out did before the store failed', async () => {
      const journal = new LocalSignOutJournal();
      const destroy = sessionStore.destroy.bind(sessionStore);
      sessionStore.destroy = async () => {
        throw new StoreUnavailable('store down while ending the sessions');
      };

      const result = await withJournal(journal).fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'journaled', subject: 'alice-sub', partitionRemoved: true, revocation: 'revoked' });
      expect(revoker.received.map((received) => received.refreshToken)).to.deep.equal(['rt-alice.tenant']);
      sessionStore.destroy = destroy;
      const reported: SignOutResult[] = [];
      await withJournal(journal).applyJournal((applied) => reported.push(applied));
      expect(reported[0]).to.include({ outcome: 'removed', sessionsEnded: 2, journaled: true });
      expect(revoker.received).to.have.length(1);
    });

    it("ends, as the logout token arrives, sessions another instance signed in 'after' it by a clock running ahead, by a second or by minutes", async () => {
      await sessionStore.set('alice-laptop', { account: alice }, { sid: 'sid-alice', subject: alice.subject, accountId: alice.accountId, signedInAt: time + 1000 }, SESSION_TTL_MS);
      await sessionStore.set('alice-tablet', { account: alice }, { sid: 'sid-alice-2', subject: alice.subject, accountId: alice.accountId, signedInAt: time + 10 * 60_000 }, SESSION_TTL_MS);

      const bySid = await signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-alice', subject: alice.subject }));
      const bySubject = await signOut.fromBackChannel(logoutTokens.issue({ subject: alice.subject }));

      expect(bySid).to.include({ outcome: 'removed', partitionRemoved: true });
      expect(bySubject).to.include({ outcome: 'removed' });
      expect(await sessionStore.get('alice-laptop')).to.equal(undefined);
      expect(await sessionStore.get('alice-tablet')).to.equal(undefined);
    });

    it('ends, when a journaled sign-out is applied late, only the sessions signed in before it came', async () => {
      const journal = new LocalSignOutJournal();
      const findBySubject = sessionStore.findBySubject.bind(sessionStore);
      sessionStore.findBySubject = async () => {
        throw new StoreUnavailable('store down');
      };
      await sessionStore.set('alice-old-tablet', { account: alice }, { sid: 'sid-alice-3', subject: alice.subject, accountId: alice.accountId, signedInAt: time - 1 }, SESSION_TTL_MS);
      expect(await withJournal(journal).fromBackChannel(logoutTokens.issue({ subject: alice.subject }))).to.include({ outcome: 'journaled' });
      sessionStore.findBySubject = findBySubject;
      // Applied an hour later (the instance that journaled it was stopped meanwhile); she signed in
      // again since, at the provider and here.
      time += 3_600_000;
      await sessionStore.set('alice-new-tablet', { account: alice }, { sid: 'sid-alice-2', subject: alice.subject, accountId: alice.accountId, signedInAt: time - 60_000 }, SESSION_TTL_MS);

      const reported: SignOutResult[] = [];
      await withJournal(journal).applyJournal((applied) => reported.push(applied));

      expect(reported[0]).to.include({ outcome: 'removed', sessionsEnded: 3, journaled: true });
      for (const id of ['alice-laptop', 'alice-phone', 'alice-old-tablet']) expect(await sessionStore.get(id), id).to.equal(undefined);
      expect(await sessionStore.get('alice-new-tablet'), 'signed in after the sign-out came').to.not.equal(undefined);
    });

    it('drops a journaled logout token already used, ending none of the sessions signed in since its first delivery', async () => {
      const journal = new LocalSignOutJournal();
      const replayGuard = new MemoryReplayGuard({ now: () => time });
      const signOutWithGuard = withJournal(journal, replayGuard);
      const token = logoutTokens.issue({ subject: alice.subject, jti: 'jti-used' });
      expect(await signOutWithGuard.fromBackChannel(token)).to.include({ outcome: 'removed', sessionsEnded: 2 });
      // Alice signs in again; then the used token is replayed while the store cannot say it was used.
      alice = await provider.signInDirectly(
        { accountId: 'alice.tenant', subject: 'alice-sub', username: 'alice@example.com' },
        { sid: 'sid-alice-again', scopes: API_SCOPES },
      );
      await startSession('alice-tablet', alice);
      const isClaimed = replayGuard.isClaimed.bind(replayGuard);
      replayGuard.isClaimed = async () => {
        throw new StoreUnavailable('store down');
      };
      expect(await signOutWithGuard.fromBackChannel(token)).to.include({ outcome: 'journaled' });
      replayGuard.isClaimed = isClaimed;
      time += 2 * 3600 * 1000; // a long outage: the token's own 5 minutes are long gone

      const reported: SignOutResult[] = [];
      expect(await signOutWithGuard.applyJournal((applied) => reported.push(applied))).to.equal(0);
      expect(reported, 'nothing signed out').to.deep.equal([]);
      expect(journal.pending(), 'dropped').to.deep.equal([]);
      expect(await sessionStore.get('alice-tablet'), 'her new session').to.not.equal(undefined);
      expect(await tokenStore.read(alice.accountId), 'her new tokens').to.not.equal(undefined);
      expect(revoker.received.map((received) => received.refreshToken), 'revoked once, at the first delivery').to.have.length(1);
    });

    it('reports unsupported when the provider has no revocation endpoint, and still removes everything', async () => {
      revoker.mode = 'unsupported';
      const result = await signOut.fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'removed', partitionRemoved: true, revocation: 'unsupported' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it('completes the sign-out when revocation fails, and says so', async () => {
      revoker.mode = 'fails';
      const result = await signOut.fromApp(alice);

      expect(result).to.include({ outcome: 'removed', partitionRemoved: true, revocation: 'failed' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    });

    it('removes a partition it cannot read (sealed with a key no longer configured), says it was removed, and that its refresh token was not revoked', async () => {
      const read = tokenStore.read.bind(tokenStore);
      tokenStore.read = async (accountId) => (accountId === alice.accountId ? undefined : read(accountId)); // as EncryptingTokenStore answers
      const result = await signOut.fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'removed', partitionRemoved: true, revocation: 'failed' });
      expect(await tokenStore.version(alice.accountId)).to.equal(undefined);
      expect(revoker.received).to.deep.equal([]);
    });

    it('reports nothing held for a user whose sessions ended and whose tokens are gone', async () => {
      await tokenStore.remove(alice.accountId);
      await signOut.fromFrontChannel({ sid: 'sid-alice' });
      const again = await signOut.fromOperator({ subject: 'alice-sub' });

      expect(again).to.include({ outcome: 'nothing-held', partitionRemoved: false });
    });

    it('attempts no revocation when no partition was held', async () => {
      await tokenStore.remove(alice.accountId);
      const result = await signOut.fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'removed', sessionsEnded: 2, partitionRemoved: false, revocation: 'not-attempted' });
      expect(revoker.received).to.deep.equal([]);
    });
  });

  it('counts a session two racing sign-outs both found as ended once (the audit adds up)', async () => {
    const results = await Promise.all([signOut.everywhere(alice, 'alice-laptop'), signOut.everywhere(alice, 'alice-laptop'), signOut.fromFrontChannel({ sid: 'sid-alice' })]);

    expect(results.reduce((sum, result) => sum + result.sessionsEnded, 0)).to.equal(2);
    expect(results.filter((result) => result.partitionRemoved)).to.have.length(1);
  });

  describe('the sessions page', () => {
    beforeEach(async () => {
      await startSession('alice-tablet', alice, 'sid-alice-tablet'); // another provider session, another device
    });

    it('ends one other session of the user and keeps the tokens for the rest', async () => {
      const result = await signOut.endOneSession(alice, 'alice-tablet');

      expect(result).to.deep.equal({
        channel: 'sessions-page',
        outcome: 'removed',
        subject: 'alice-sub',
        sessionsEnded: 1,
        partitionRemoved: false,
        revocation: 'not-attempted',
        journaled: false,
      });
      expect(await sessionStore.get('alice-tablet')).to.equal(undefined);
      expect(await sessionStore.get('alice-laptop')).to.not.equal(undefined);
      expect(await tokenStore.read(alice.accountId), 'the other devices still use them').to.not.equal(undefined);
      expect(revoker.received).to.deep.equal([]);
    });

    it("ends nothing when the session is another user's", async () => {
      const result = await signOut.endOneSession(alice, 'bob-laptop');

      expect(result).to.include({ outcome: 'nothing-held', sessionsEnded: 0 });
      await expectBobUntouched();
    });

    it('ends every session of the user on every provider session, removes and revokes the tokens', async () => {
      const result = await signOut.everywhere(alice, 'alice-laptop');

      expect(result).to.include({ channel: 'sessions-page', outcome: 'removed', sessionsEnded: 3, partitionRemoved: true, revocation: 'revoked' });
      expect(await sessionStore.findBySubject(alice.subject)).to.deep.equal([]);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      await expectBobUntouched();
    });
  });

  describe('replacedBySignIn: another account signed in where this one was', () => {
    it("ends the replaced session, and removes and revokes the account's tokens when no other session uses them", async () => {
      await sessionStore.destroy('alice-phone'); // alice's laptop is her only session

      const result = await signOut.replacedBySignIn(alice, 'alice-laptop');

      expect(result).to.deep.equal({
        channel: 'app',
        outcome: 'removed',
        subject: 'alice-sub',
        sessionsEnded: 1,
        partitionRemoved: true,
        revocation: 'revoked',
        journaled: false,
      });
      expect(await sessionStore.get('alice-laptop')).to.equal(undefined);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(revoker.received.map((received) => received.refreshToken)).to.deep.equal(['rt-alice.tenant']);
      await expectBobUntouched();
    });

    it('keeps the tokens while another session of the account uses them', async () => {
      const result = await signOut.replacedBySignIn(alice, 'alice-laptop');

      expect(result).to.include({ channel: 'app', outcome: 'removed', sessionsEnded: 1, partitionRemoved: false, revocation: 'not-attempted' });
      expect(await sessionStore.get('alice-laptop')).to.equal(undefined);
      expect(await sessionStore.get('alice-phone'), 'the other device stays signed in').to.not.equal(undefined);
      expect(await tokenStore.read(alice.accountId), 'and its tokens').to.not.equal(undefined);
      expect(revoker.received).to.deep.equal([]);
    });
  });

  describe('a session still stored but no longer served (idle past a lowered SESSION_TTL_SECONDS)', () => {
    const servedBut = (ended: string) =>
      new SignOutEverywhere({
        identityProvider: provider,
        tokenStore,
        sessionStore,
        logoutTokenVerifier: logoutTokens,
        replayGuard: new MemoryReplayGuard({ now: () => time }),
        refreshTokenRevoker: revoker,
        sessionServed: async (id) => id !== ended,
        now: () => time,
      });

    it('is no device using the tokens: another account signing in removes and revokes them', async () => {
      const result = await servedBut('alice-phone').replacedBySignIn(alice, 'alice-laptop');

      expect(result).to.include({ partitionRemoved: true, revocation: 'revoked' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(revoker.received.map((received) => received.refreshToken)).to.deep.equal(['rt-alice.tenant']);
      await expectBobUntouched();
    });

    it('is no device using the tokens of a sign-in that cannot stand', async () => {
      await sessionStore.destroy('alice-laptop');
      const result = await servedBut('alice-phone').signInAbandoned(alice);

      expect(result).to.include({ partitionRemoved: true, revocation: 'revoked' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });
  });

  describe('signInAbandoned: a sign-in whose session could not be stored', () => {
    it('removes and revokes the tokens it stored when no session of the account uses them', async () => {
      await sessionStore.destroy('alice-laptop');
      await sessionStore.destroy('alice-phone');

      const result = await signOut.signInAbandoned(alice);

      expect(result).to.include({ partitionRemoved: true, sessionsEnded: 0, revocation: 'revoked' });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      expect(revoker.received.map((received) => received.refreshToken)).to.deep.equal(['rt-alice.tenant']);
      await expectBobUntouched();
    });

    it('keeps them, and every session, while a session of the account uses them', async () => {
      const result = await signOut.signInAbandoned(alice);

      expect(result).to.include({ partitionRemoved: false, sessionsEnded: 0, revocation: 'not-attempted' });
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      expect(await sessionStore.findByAccount(alice.accountId)).to.have.length(2);
      expect(revoker.received).to.deep.equal([]);
    });
  });

  describe('providerSignedOutMeanwhile: a sign-in completing after the provider signed its provider session out', () => {
    it('is true once a front-channel sign-out of its sid came, and signInAbandoned then ends its session and tokens', async () => {
      const carol = await signInCarol(); // tokens stored; its session is not written yet
      await signOut.fromFrontChannel({ sid: 'sid-carol' });
      await startSession('carol-laptop', carol);

      expect(await signOut.providerSignedOutMeanwhile(carol)).to.equal(true);
      const result = await signOut.signInAbandoned(carol, 'carol-laptop');

      expect(result).to.include({ sessionsEnded: 1, partitionRemoved: true, revocation: 'revoked' });
      expect(await sessionStore.get('carol-laptop')).to.equal(undefined);
      expect(await tokenStore.read(carol.accountId)).to.equal(undefined);
      await expectBobUntouched();
    });

    it('counts a back-channel sign-out naming a sid and a sub for that user only', async () => {
      await signOut.fromBackChannel(logoutTokens.issue({ sid: 'sid-shared', subject: alice.subject }));

      expect(await signOut.providerSignedOutMeanwhile({ ...alice, sid: 'sid-shared' })).to.equal(true);
      expect(await signOut.providerSignedOutMeanwhile({ ...bob, sid: 'sid-shared' }), 'another user of a reused sid').to.equal(false);
    });

    it('is false for another provider session, and after a pending sign-in could still complete', async () => {
      await signOut.fromFrontChannel({ sid: 'sid-other' });
      expect(await signOut.providerSignedOutMeanwhile(alice)).to.equal(false);

      await signOut.fromFrontChannel({ sid: 'sid-alice' });
      time += 11 * 60_000 + 1; // a pending sign-in's lifetime and the clock skew allowance
      expect(await signOut.providerSignedOutMeanwhile(alice)).to.equal(false);
    });

    it('counts a journaled sign-out applied late only for what is left of its time from its arrival', async () => {
      const journal = new LocalSignOutJournal();
      await journal.append({ channel: 'front-channel', sid: 'sid-late', at: time });
      await journal.append({ channel: 'front-channel', sid: 'sid-recent', at: time + 55 * 60_000 });
      time += 60 * 60_000; // applied an hour after the first came, five minutes after the second

      const applying = withJournal(journal, new MemoryReplayGuard({ now: () => time }));
      expect(await applying.applyJournal(() => {})).to.equal(2);
      expect(await applying.providerSignedOutMeanwhile({ ...alice, sid: 'sid-late' })).to.equal(false);
      expect(await applying.providerSignedOutMeanwhile({ ...alice, sid: 'sid-recent' })).to.equal(true);
    });

    it('does not hold a sign-out up when the store cannot take the note (best effort)', async () => {
      const guard = new MemoryReplayGuard({ now: () => time });
      guard.claim = async () => {
        throw new StoreUnavailable('locked');
      };
      const result = await withJournal(undefined, guard).fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'removed', sessionsEnded: 2 });
    });
  });

  describe('the ended-sid note with a journal', () => {
    it('journals the sign-out at once when the store does not take the note, without waiting on a lookup too', async () => {
      const guard = new MemoryReplayGuard({ now: () => time });
      guard.claim = async () => {
        throw new StoreUnavailable('down');
      };
      let lookups = 0;
      const findBySid = sessionStore.findBySid.bind(sessionStore);
      sessionStore.findBySid = async (sid) => {
        lookups++;
        return findBySid(sid);
      };
      const journal = new LocalSignOutJournal();

      const result = await withJournal(journal, guard).fromFrontChannel({ sid: 'sid-alice' });

      expect(result).to.include({ outcome: 'journaled', journaled: true });
      expect(lookups).to.equal(0);
      expect(journal.pending()).to.have.length(1);
    });
  });

  describe('signInAbandoned with the session the sign-in wrote before failing', () => {
    it('ends that session and removes the tokens it would otherwise have kept in use', async () => {
      const carol = await signInCarol();
      await startSession('carol-laptop', carol); // written, then the next step of the sign-in failed

      const result = await signOut.signInAbandoned(carol, 'carol-laptop');

      expect(result).to.include({ sessionsEnded: 1, partitionRemoved: true, revocation: 'revoked' });
      expect(await tokenStore.read(carol.accountId)).to.equal(undefined);
    });
  });

  describe('fromOperator', () => {
    it("ends every session of a subject and removes their account's tokens", async () => {
      const result = await signOut.fromOperator({ subject: alice.subject });

      expect(result).to.include({ channel: 'operator', outcome: 'removed', subject: 'alice-sub', sessionsEnded: 2, partitionRemoved: true, revocation: 'revoked' });
      expect(await sessionStore.findBySubject(alice.subject)).to.deep.equal([]);
      await expectBobUntouched();
    });

    it('signs out by account id, finding the sessions and the subject through the account', async () => {
      const result = await signOut.fromOperator({ accountId: alice.accountId });

      expect(result).to.include({ subject: 'alice-sub', sessionsEnded: 2, partitionRemoved: true });
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      await expectBobUntouched();
    });

    it('removes a partition that no session names any more', async () => {
      await sessionStore.destroy('alice-laptop');
      await sessionStore.destroy('alice-phone');

      const result = await signOut.fromOperator({ accountId: alice.accountId });

      expect(result).to.include({ outcome: 'removed', sessionsEnded: 0, partitionRemoved: true, revocation: 'revoked' });
    });

    it("refuses a subject and an account of two users, before removing anything (one user a run)", async () => {
      const error = await expectRejection(signOut.fromOperator({ subject: alice.subject, accountId: bob.accountId }), SignOutRejected);

      expect(error.message).to.contain('bob-sub');
      expect(await sessionStore.findBySubject(alice.subject)).to.have.length(2);
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
      await expectBobUntouched();
      expect(await signOut.fromOperator({ subject: alice.subject, accountId: alice.accountId }), 'both naming one user').to.include({ sessionsEnded: 2, partitionRemoved: true });
    });

    it('refuses a subject and an account with no session to tell whose it is, before removing anything', async () => {
      await sessionStore.destroy('bob-laptop'); // bob's partition outlives his sessions

      await expectRejection(signOut.fromOperator({ subject: alice.subject, accountId: bob.accountId }), SignOutRejected);

      expect(await tokenStore.read(bob.accountId), "bob's tokens").to.not.equal(undefined);
      expect(await sessionStore.findBySubject(alice.subject)).to.have.length(2);
      expect(await signOut.fromOperator({ accountId: bob.accountId }), 'by --account alone').to.include({ subject: undefined, partitionRemoved: true });
    });

    it('runs again for a subject and an account whose first run ended everything: nothing-held, not refused', async () => {
      expect(await signOut.fromOperator({ subject: alice.subject, accountId: alice.accountId })).to.include({ outcome: 'removed', sessionsEnded: 2 });

      expect(await signOut.fromOperator({ subject: alice.subject, accountId: alice.accountId })).to.include({ outcome: 'nothing-held', sessionsEnded: 0, partitionRemoved: false });
      await expectBobUntouched();
    });

    it('reports a user with nothing stored as nothing-held', async () => {
      expect(await signOut.fromOperator({ subject: 'nobody' })).to.include({ outcome: 'nothing-held', sessionsEnded: 0, partitionRemoved: false, revocation: 'not-attempted' });
      await expectBobUntouched();
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

      await signOut.fromApp(alice);
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
