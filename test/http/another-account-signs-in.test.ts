import { asFunction } from 'awilix';
import { expect } from 'chai';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import type { Cradle } from '../../src/app/container.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import type { SessionIndex } from '../../src/ports/session-store.port.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/** "Sign in with another account" in a browser already signed in: the account signed in before leaves it. */
describe('another account signing in where one was signed in', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice, bob])));
  afterEach(() => stopTestApp(app));

  const accountOf = (user: typeof alice) => `${user.oid}.${entra.tenantId}`;
  const tokensHeld = async (user: typeof alice) => (await app.container.cradle.tokenStore.version(accountOf(user))) !== undefined;
  const auditEvents = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');

  it("removes the tokens of the account signed in before, which no sign-out could find any more, and audits it as that account's sign-out", async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    expect(await tokensHeld(alice)).to.equal(true);

    const callback = await signInWithBrowser(browser, entra, bob, { sid: 'sid-bob' });

    expect(callback.status, callback.text).to.equal(302);
    expect(await tokensHeld(alice), "alice's tokens").to.equal(false);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice'), "alice's session").to.deep.equal([]);
    expect(auditEvents()).to.have.length(1);
    expect(auditEvents()[0]).to.include({ channel: 'app', outcome: 'removed', subject: `sub-${alice.oid}`, sessionsEnded: 1, partitionRemoved: true });
    const profile = await browser.get('/profile');
    expect(profile.status).to.equal(200);
    expect(profile.text).to.contain(bob.username).and.not.contain(alice.username);
    expect(await tokensHeld(bob)).to.equal(true);
  });

  it("keeps that account's tokens, and its session on another device, while that device uses them", async () => {
    const laptop = app.browser();
    const phone = app.browser();
    await signInWithBrowser(laptop, entra, alice, { sid: 'sid-alice-laptop' });
    await signInWithBrowser(phone, entra, alice, { sid: 'sid-alice-phone' });

    await signInWithBrowser(laptop, entra, bob, { sid: 'sid-bob' });

    expect(await tokensHeld(alice), "alice's tokens, for her phone").to.equal(true);
    expect(auditEvents()[0]).to.include({ channel: 'app', outcome: 'removed', subject: `sub-${alice.oid}`, sessionsEnded: 1, partitionRemoved: false, revocation: 'not-attempted' });
    expect((await phone.get('/profile')).status, 'her phone is still signed in').to.equal(200);
  });

  describe('after SESSION_TTL_SECONDS was lowered', () => {
    const HOUR = 3600_000;
    beforeEach(async () => {
      await stopTestApp(app);
      ({ entra, app } = await startAppWithFakeEntra([alice, bob], { SESSION_TTL_SECONDS: '3600' }, (fake) => (fake.revocation = true)));
    });

    /** Alice's session on her phone, last written `agoMs` ago under the 8-hour idle lifetime of before. */
    async function phoneWrittenAgo(agoMs: number): Promise<void> {
      const account = { accountId: accountOf(alice), subject: `sub-${alice.oid}`, sid: 'sid-alice-phone', username: alice.username, name: 'Alice' };
      const written = Date.now() - agoMs;
      const before = 8 * HOUR;
      const data = { account, csrfToken: 'csrf', signedInAt: written, lastActiveAt: written, _expire: written + before, _maxAge: before };
      await app.container.cradle.sessionStore.set('phone', data, { sid: account.sid, subject: account.subject, accountId: account.accountId }, before - agoMs);
    }

    for (const [idle, served] of [['2 hours, past the new lifetime', false], ['40 minutes, within it', true]] as const) {
      it(`counts a session idle ${idle}, ${served ? 'as' : 'not as'} a device using the tokens`, async () => {
        const laptop = app.browser();
        await signInWithBrowser(laptop, entra, alice, { sid: 'sid-alice-laptop' });
        await phoneWrittenAgo(idle.startsWith('2') ? 2 * HOUR : 40 * 60_000);

        await signInWithBrowser(laptop, entra, bob, { sid: 'sid-bob' });

        expect(await tokensHeld(alice)).to.equal(served);
        expect(entra.revocationRequests).to.have.length(served ? 0 : 1);
      });
    }
  });

  it('signs nobody out when the same account signs in again', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice-again' });

    expect(auditEvents()).to.deep.equal([]);
    expect(await tokensHeld(alice)).to.equal(true);
    expect((await browser.get('/profile')).status).to.equal(200);
  });

  describe('when the new session cannot be written', () => {
    /** A session store whose writes of new sessions fail once `failing` is set. */
    class FailingNewSessions extends MemorySessionStore {
      failing = false;
      override async set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number) {
        if (this.failing) throw new StoreUnavailable('the store is not answering');
        return super.set(id, data, index, ttlMs);
      }
    }
    let store: FailingNewSessions;

    beforeEach(async () => {
      await stopTestApp(app);
      ({ entra, app } = await startAppWithFakeEntra([alice, bob], {}, (fake) => (fake.revocation = true), {
        sessionStore: asFunction(({ now }: Cradle) => (store = new FailingNewSessions({ now }))).singleton(),
      }));
    });

    it('keeps none of the tokens that sign-in stored, which no sign-out could find, and revokes its refresh token', async () => {
      store.failing = true;

      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });

      expect(callback.status, callback.text).to.equal(503);
      expect(await tokensHeld(alice), "the failed sign-in's tokens").to.equal(false);
      expect(entra.revocationRequests, 'its refresh token sent for revocation').to.have.length(1);
      expect(auditEvents(), 'no sign-out of the user').to.deep.equal([]);
    });

    /**
     * Token writes that fail as far as the request knows, yet are carried out 50 ms later (a store
     * answering past its deadline, as a frozen Redis does once it wakes); `landed` waits for the last.
     */
    function tokenWritesFailingThenLandingLate(): { landed(): Promise<unknown> } {
      const tokenStore = app.container.cradle.tokenStore;
      const write = tokenStore.write.bind(tokenStore);
      let landing: Promise<unknown> = Promise.resolve();
      tokenStore.write = async (accountId, data, expected) => {
        landing = new Promise((resolve) => setTimeout(resolve, 50)).then(() => write(accountId, data, expected));
        throw new StoreUnavailable('the store did not answer within its deadline');
      };
      return { landed: () => landing.finally(() => (tokenStore.write = write)) };
    }

    it("revokes the refresh token of a sign-in whose token write failed, as that write may still land (a store answering late) where no session names it", async () => {
      const lateWrite = tokenWritesFailingThenLandingLate();

      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
      await lateWrite.landed();

      expect(callback.status, callback.text).to.equal(503);
      expect(await app.container.cradle.sessionStore.findByAccount(accountOf(alice)), 'no session').to.deep.equal([]);
      expect(entra.revocationRequests, 'its refresh token sent for revocation').to.have.length(1);
      const revoked = entra.revocationRequests[0]!.token;
      expect(JSON.stringify(await app.container.cradle.tokenStore.read(accountOf(alice))), 'the late write holds that very token').to.contain(revoked);
    });

    it('revokes it too when the account holds only a partition no session names (left by an earlier late write)', async () => {
      for (const sid of ['sid-first', 'sid-second']) {
        const lateWrite = tokenWritesFailingThenLandingLate();
        expect((await signInWithBrowser(app.browser(), entra, alice, { sid })).status).to.equal(503);
        await lateWrite.landed();
      }

      expect(await app.container.cradle.sessionStore.findByAccount(accountOf(alice)), 'no session').to.deep.equal([]);
      expect(entra.revocationRequests, 'both refresh tokens sent for revocation').to.have.length(2);
      expect(JSON.stringify(await app.container.cradle.tokenStore.read(accountOf(alice))), 'the last late write holds the last one revoked').to.contain(entra.revocationRequests[1]!.token);
    });

    it("does not revoke it when the account holds tokens for another session, which carries on with them if the write lands late", async () => {
      const laptop = app.browser();
      await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop' });
      entra.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: the laptop's next page refreshes
      const lateWrite = tokenWritesFailingThenLandingLate();

      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-phone' });
      await lateWrite.landed();

      expect(callback.status, callback.text).to.equal(503);
      expect(entra.revocationRequests, 'nothing revoked').to.deep.equal([]);
      expect((await laptop.get('/profile')).status, "the laptop's session, which names the partition the late write replaced").to.equal(200);
    });

    it('keeps none either when the session was written and the step after it failed (the tokens kept with it)', async () => {
      const tokenStore = app.container.cradle.tokenStore;
      const keepUntil = tokenStore.keepUntil.bind(tokenStore);
      let failures = 1;
      tokenStore.keepUntil = async (accountId, expiresAt) => {
        if (failures-- > 0) throw new StoreUnavailable('the store is not answering');
        return keepUntil(accountId, expiresAt);
      };

      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });

      expect(callback.status, callback.text).to.equal(503);
      expect(await app.container.cradle.sessionStore.findByAccount(accountOf(alice)), 'its session').to.deep.equal([]);
      expect(await tokensHeld(alice), "the failed sign-in's tokens").to.equal(false);
      expect(entra.revocationRequests, 'its refresh token sent for revocation').to.have.length(1);
    });

    it("keeps the account's tokens while a session of it on another device uses them", async () => {
      const phone = app.browser();
      await signInWithBrowser(phone, entra, alice, { sid: 'sid-alice-phone' });
      store.failing = true;

      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice-laptop' });

      expect(callback.status, callback.text).to.equal(503);
      expect(await tokensHeld(alice), "alice's tokens, for her phone").to.equal(true);
      expect(entra.revocationRequests).to.deep.equal([]);
      store.failing = false;
      expect((await phone.get('/profile')).status, 'her phone is still signed in').to.equal(200);
    });

    it('answers the same when the tokens cannot be removed either, and says they stay', async () => {
      store.failing = true;
      // The sign-in's own look-up (is the account in use?) answers; the removal's, after it, does not.
      const findByAccount = store.findByAccount.bind(store);
      let lookups = 0;
      store.findByAccount = async (accountId) => {
        if (lookups++ === 0) return findByAccount(accountId);
        throw new StoreUnavailable('the store is not answering');
      };

      const callback = await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });

      expect(callback.status, callback.text).to.equal(503);
      const warning = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => String(line.message).includes('could not be removed'));
      expect(warning, 'a warning that the tokens stay').to.include({ level: 'warn' });
    });

    it('shows nobody as signed in on the error page, and still signs out the account signed in before', async () => {
      const browser = app.browser();
      await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
      store.failing = true;

      const callback = await signInWithBrowser(browser, entra, bob, { sid: 'sid-bob' });

      expect(callback.status, callback.text).to.equal(503);
      expect(callback.text).to.not.contain('Signed in as').and.not.contain('action="/auth/signout"');
      expect(await tokensHeld(alice), "alice's tokens, whose session is gone").to.equal(false);
      store.failing = false;
      expect((await browser.get('/profile')).status, 'signed in as nobody').to.equal(302);
    });
  });
});
