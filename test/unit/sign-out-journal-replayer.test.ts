import { expect } from 'chai';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import { MemoryReplayGuard } from '../../src/adapters/memory/memory-replay-guard.ts';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import type { Logger } from '../../src/app/observability/logger.ts';
import { SignOutJournalReplayer } from '../../src/app/sign-out-journal-replayer.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { SignOutEverywhere } from '../../src/domain/sign-out-everywhere.ts';
import type { SignOutResult } from '../../src/domain/sign-out-result.ts';
import { captureLogs } from '../support/captured-logs.ts';
import { FakeIdentityProvider } from '../support/fake-identity-provider.ts';
import { FakeLogoutTokenVerifier } from '../support/fake-logout-token-verifier.ts';
import { FakeRefreshTokenRevoker } from '../support/fake-refresh-token-revoker.ts';

/**
 * Requests wait for the journal's sign-outs to be applied once the store is back, but not for the
 * provider's revocations, nor for attempts while the store is still down.
 */
/** A replayer of `journal` whose sign-outs act on these stores, recording what it audits into `audited`. */
function replayerOf(deps: {
  tokenStore: MemoryTokenStore;
  sessionStore: MemorySessionStore;
  provider: FakeIdentityProvider;
  journal: LocalSignOutJournal;
  revoker: FakeRefreshTokenRevoker;
  logger: Logger;
  audited?: SignOutResult[];
}): SignOutJournalReplayer {
  const { tokenStore, sessionStore, provider, journal, revoker, logger, audited = [] } = deps;
  return new SignOutJournalReplayer({
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
    logger,
  });
}

describe('the sign-out journal replayer', () => {
  it('does not hold requests back while the store is still down, and warns once, not at every attempt', async () => {
    const tokenStore = new MemoryTokenStore();
    const sessionStore = new MemorySessionStore();
    const provider = new FakeIdentityProvider({ tokenStore });
    const journal = new LocalSignOutJournal();
    await journal.append({ channel: 'front-channel', sid: 'sid-alice', at: Date.now() });
    let down = true;
    const findBySid = sessionStore.findBySid.bind(sessionStore);
    sessionStore.findBySid = async (sid) => {
      // A frozen store: each attempt fails at its deadline.
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (down) throw new StoreUnavailable('the store does not answer');
      return findBySid(sid);
    };
    const logs = captureLogs('warn');
    const replayer = replayerOf({ tokenStore, sessionStore, provider, journal, revoker: new FakeRefreshTokenRevoker({ provider, tokenStore }), logger: logs.logger });

    await replayer.beforeRequest(); // the first attempt: the store was not known to be down
    expect(replayer.pending).to.equal(1);
    const attempt = replayer.replay(); // the timer's next attempt, under way
    const began = Date.now();
    await replayer.beforeRequest();
    expect(Date.now() - began, 'a request does not wait for an attempt bound to fail').to.be.below(100);
    await attempt;
    await replayer.replay();
    expect(logs.lines.filter((line) => line.includes('journaled sign-outs still waiting for the store')), 'one warning for three failed attempts').to.have.length(1);

    down = false;
    await replayer.replay();
    expect(replayer.pending, 'applied once the store answers').to.equal(0);
  });

  it("waits again for the next outage's entries after an attempt that failed only once nothing was left to apply", async () => {
    const tokenStore = new MemoryTokenStore();
    const sessionStore = new MemorySessionStore();
    const provider = new FakeIdentityProvider({ tokenStore });
    const journal = new LocalSignOutJournal();
    await journal.append({ channel: 'front-channel', sid: 'sid-alice', at: Date.now() });
    const remove = journal.remove.bind(journal);
    journal.remove = async (id) => {
      await remove(id);
      throw new Error('ENOSPC: the journal file could not be rewritten'); // removed from memory, not from disk
    };
    const replayer = replayerOf({ tokenStore, sessionStore, provider, journal, revoker: new FakeRefreshTokenRevoker({ provider, tokenStore }), logger: captureLogs('error').logger });
    await replayer.beforeRequest();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the failed attempt settles
    expect(replayer.pending).to.equal(0);
    journal.remove = remove;

    await journal.append({ channel: 'front-channel', sid: 'sid-bob', at: Date.now() });
    await replayer.beforeRequest();
    expect(replayer.pending, 'applied before the request').to.equal(0);
  });

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
    const replayer = replayerOf({ tokenStore, sessionStore, provider, journal, revoker, logger: captureLogs('error').logger, audited });
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
