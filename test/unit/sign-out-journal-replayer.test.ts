import { expect } from 'chai';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import { MemoryReplayGuard } from '../../src/adapters/memory/memory-replay-guard.ts';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { SignOutJournalReplayer } from '../../src/app/sign-out-journal-replayer.ts';
import { SignOutEverywhere } from '../../src/domain/sign-out-everywhere.ts';
import type { SignOutResult } from '../../src/domain/sign-out-result.ts';
import { captureLogs } from '../support/captured-logs.ts';
import { FakeIdentityProvider } from '../support/fake-identity-provider.ts';
import { FakeLogoutTokenVerifier } from '../support/fake-logout-token-verifier.ts';
import { FakeRefreshTokenRevoker } from '../support/fake-refresh-token-revoker.ts';

/**
 * Requests wait for the journal's sign-outs to be applied once the store is back (a sign-in made
 * afterwards must not be ended by an older entry), but not for the provider's revocations.
 */
describe('the sign-out journal replayer', () => {
  it('lets requests through once every journaled sign-out is applied, while the revocations are still at the provider', async () => {
    const tokenStore = new MemoryTokenStore();
    const sessionStore = new MemorySessionStore();
    const provider = new FakeIdentityProvider({ tokenStore });
    const revoker = new FakeRefreshTokenRevoker({ provider, tokenStore });
    const journal = new LocalSignOutJournal();
    const users = ['alice', 'bob', 'carol'];
    for (const name of users) {
      const account = await provider.signInDirectly({ accountId: `${name}.tenant`, subject: `${name}-sub`, username: `${name}@example.com` }, { sid: `sid-${name}`, scopes: ['api'] });
      await sessionStore.set(`${name}-laptop`, { account }, { sid: `sid-${name}`, subject: account.subject, accountId: account.accountId }, 3_600_000);
      await journal.append({ channel: 'front-channel', sid: `sid-${name}`, at: Date.now() });
    }
    const audited: SignOutResult[] = [];
    const replayer = new SignOutJournalReplayer({
      signOutJournal: journal,
      signOutEverywhere: new SignOutEverywhere({
        identityProvider: provider,
        tokenStore,
        sessionStore,
        logoutTokenVerifier: new FakeLogoutTokenVerifier(Date.now),
        replayGuard: new MemoryReplayGuard(),
        refreshTokenRevoker: revoker,
        signOutJournal: journal,
      }),
      signOutAudit: { record: (result) => void audited.push(result) },
      logger: captureLogs('error').logger,
    });
    const release = revoker.hold();

    await replayer.beforeRequest();

    expect(replayer.pending, 'every entry applied').to.equal(0);
    for (const name of users) {
      expect(await tokenStore.read(`${name}.tenant`), `${name}'s tokens`).to.equal(undefined);
      expect(await sessionStore.get(`${name}-laptop`), `${name}'s session`).to.equal(undefined);
    }
    expect(revoker.started, 'the revocations asked for, all at once').to.equal(3);
    expect(audited, 'each audited once its revocation settles').to.deep.equal([]);
    release();
    for (let turn = 0; turn < 100 && audited.length < 3; turn++) await new Promise(setImmediate);
    expect(audited.map((result) => [result.subject, result.revocation])).to.have.deep.members(users.map((name) => [`${name}-sub`, 'revoked']));
  });
});
