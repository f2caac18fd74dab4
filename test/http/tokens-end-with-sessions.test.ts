import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { asValue } from 'awilix';
import { deleteRedisKeys } from '../support/redis-server.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

for (const tokenStore of ['memory', 'sqlite', 'redis'] as const) {
  describe(`tokens end with the last session that uses them (${tokenStore} stores)`, () => {
    const alice = fakeUser('alice');
    let entra: FakeEntra;
    let app: TestApp;
    let clock: number;
    let accountId: string;
    const keyPrefix = `test:${randomUUID()}:`;
    const tokensHeld = async () => (await app.container.cradle.tokenStore.version(accountId)) !== undefined;

    beforeEach(async () => {
      clock = Date.now();
      ({ entra, app } = await startAppWithFakeEntra(
        [alice],
        { TOKEN_STORE: tokenStore, SQLITE_PATH: ':memory:', REDIS_KEY_PREFIX: keyPrefix, SESSION_TTL_SECONDS: '3600' },
        undefined,
        { now: asValue(() => clock) },
      ));
      accountId = `${alice.oid}.${entra.tenantId}`;
    });
    afterEach(async () => {
      await stopTestApp(app);
      if (tokenStore === 'redis') await deleteRedisKeys(keyPrefix);
    });

    it('keeps the tokens while the session is used, and drops them when it ends by being idle', async () => {
      const browser = app.browser();
      await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });

      // Used every 40 minutes for two hours: twice the idle lifetime the sign-in gave the tokens.
      for (let i = 0; i < 3; i++) {
        clock += 40 * MINUTE;
        expect((await browser.get('/profile')).status, `visit ${i + 1}`).to.equal(200);
      }
      expect(await tokensHeld(), 'two hours on, still in use').to.equal(true);

      clock += HOUR - MINUTE;
      expect(await tokensHeld(), 'a minute before the session ends').to.equal(true);
      clock += 2 * MINUTE;
      expect(await tokensHeld(), 'the session ended: no session can use them').to.equal(false);
      expect((await browser.get('/profile')).status).to.equal(302);
    });

    if (tokenStore !== 'redis') {
      // (Redis expires the key itself, and its invalidation drops the copy: test/http/several-instances.test.ts.)
      it("forgets the parsed tokens it held in memory when the expiry sweep deletes the account's partition", async () => {
        const browser = app.browser();
        await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
        expect((await browser.get('/profile')).status).to.equal(200);
        const parsed = app.container.cradle.tokenStore;
        expect(parsed.holds(accountId), 'held after the page').to.equal(true);

        clock += HOUR + MINUTE; // the session ended, and the partition with it
        await app.container.cradle.expirySweeper.sweep();

        expect(parsed.holds(accountId), 'no access token of hers left in memory').to.equal(false);
      });
    }

    it('keeps them while any session of the account lives, then drops them with the last one', async () => {
      const laptop = app.browser();
      const phone = app.browser();
      await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop' });
      await signInWithBrowser(phone, entra, alice, { sid: 'sid-phone' });

      // The phone is left alone and ends after an hour; the laptop is used for two.
      for (let i = 0; i < 3; i++) {
        clock += 40 * MINUTE;
        expect((await laptop.get('/profile')).status).to.equal(200);
      }
      expect((await phone.get('/profile')).status, 'the phone session ended').to.equal(302);
      expect(await tokensHeld(), 'the laptop still uses them').to.equal(true);

      clock += HOUR + MINUTE;
      expect(await tokensHeld()).to.equal(false);
    });

    it('leaves nothing behind for a provider sign-out that comes after the sessions ended', async () => {
      await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
      clock += HOUR + MINUTE;

      const answer = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');
      expect(answer.status).to.equal(200);
      expect(await tokensHeld(), 'gone with the session, before the provider asked').to.equal(false);
    });
  });
}
