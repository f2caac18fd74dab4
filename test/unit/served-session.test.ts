import { expect } from 'chai';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import { signedInSessionData } from '../../src/app/session-data.ts';
import { servedSession } from '../../src/app/stored-session.ts';

const HOUR = 3600_000;

/**
 * A session the store still holds, and the indexes still find, is a device using its account's
 * tokens only while the app would serve it: one idle past a SESSION_TTL_SECONDS lowered since it was
 * written stays stored until the expiry it was written with.
 */
describe('servedSession: whether a stored session counts as a device using its tokens', () => {
  const alice = { accountId: 'alice.tenant', subject: 'alice-sub', username: 'alice@example.com' };

  async function storeWrittenAgo(agoMs: number, ttlMs: number) {
    const sessionStore = new MemorySessionStore();
    const now = Date.now();
    // As koa-session writes it: `_expire` on its own clock (Date.now), `_maxAge` the idle lifetime then.
    const stored = { ...signedInSessionData(alice, now - agoMs), _expire: now - agoMs + ttlMs, _maxAge: ttlMs };
    await sessionStore.set('s1', stored, { subject: alice.subject, accountId: alice.accountId }, ttlMs - agoMs);
    return sessionStore;
  }
  const rules = (sessionTtlMs: number) => ({ config: { sessionTtlMs, sessionAbsoluteTtlMs: 24 * HOUR }, now: Date.now });

  it('counts a session within the idle lifetime in force', async () => {
    const sessionStore = await storeWrittenAgo(2 * HOUR, 8 * HOUR);
    expect(await servedSession(sessionStore, rules(8 * HOUR))('s1')).to.equal(true);
  });

  it('does not count one idle past a lowered idle lifetime, though still stored', async () => {
    const sessionStore = await storeWrittenAgo(2 * HOUR, 8 * HOUR);
    expect(await sessionStore.findByAccount(alice.accountId), 'still found').to.have.length(1);
    expect(await servedSession(sessionStore, rules(1 * HOUR))('s1')).to.equal(false);
  });

  it('does not count one past its absolute lifetime, nor one not stored', async () => {
    const sessionStore = await storeWrittenAgo(2 * HOUR, 8 * HOUR);
    const ended = { config: { sessionTtlMs: 8 * HOUR, sessionAbsoluteTtlMs: 1 * HOUR }, now: Date.now };
    expect(await servedSession(sessionStore, ended)('s1')).to.equal(false);
    expect(await servedSession(sessionStore, rules(8 * HOUR))('nope')).to.equal(false);
  });
});
