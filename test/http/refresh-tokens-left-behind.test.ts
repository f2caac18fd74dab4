import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom } from '../support/scripted-browser.ts';

/**
 * A sign-in of an account already signed in on another device replaces its partition (the other
 * device's sessions go on with the new tokens), and a refresh whose write-back lost to such a
 * sign-in is dropped: either way a refresh token the provider issued is then held nowhere, and no
 * sign-out would ever revoke it. It is revoked when it is left behind (src/adapters/msal/
 * replaced-partition.ts), but not when the new tokens come from the same provider session, which a
 * provider may revoke with it. Found by a randomized storm of sign-ins, refreshes and sign-outs.
 */
for (const tokenStore of ['memory', 'sqlite'] as const) {
  describe(`refresh tokens a sign-in of the same account leaves behind (${tokenStore})`, () => {
    const alice = fakeUser('alice');
    let entra: FakeEntra;
    let app: TestApp;
    /** Every refresh token the provider issued, oldest first. */
    let issued: string[];
    /** While set, refresh answers computed by the provider wait for it on their way to the app. */
    let answersHeld: Promise<void> | undefined;

    beforeEach(async () => {
      issued = [];
      answersHeld = undefined;
      ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: tokenStore, SQLITE_PATH: ':memory:' }, (fake) => {
        fake.revocation = true;
        fake.rotateRefreshTokens = true;
        fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: /profile refreshes
        fake.tokenAnswer = (form, answer) => {
          const body = answer[1] as { refresh_token?: string };
          if (answer[0] === 200 && body.refresh_token) issued.push(body.refresh_token);
          // The provider has answered (and rotated); the answer reaches the app when let through.
          return form.get('grant_type') === 'refresh_token' && answersHeld ? answersHeld.then(() => answer) : answer;
        };
      }));
    });
    afterEach(async () => {
      entra.releaseRefreshes();
      await stopTestApp(app);
    });

    async function signOutEverywhere(browser: ReturnType<TestApp['browser']>) {
      const page = await browser.get('/sessions');
      const answer = await browser.post('/sessions/everywhere', { _csrf: csrfFrom(page) });
      expect(answer.status).to.equal(302);
      expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`), 'tokens removed').to.equal(undefined);
      expect(await app.container.cradle.sessionStore.findBySubject(`sub-${alice.oid}`), 'no session left').to.deep.equal([]);
    }

    it('revokes, by the time the user signs out everywhere, the refresh token of a first device that a second sign-in replaced', async () => {
      const laptop = app.browser();
      await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop' });
      const phone = app.browser();
      await signInWithBrowser(phone, entra, alice, { sid: 'sid-phone' });
      const [laptopToken, phoneToken] = issued;

      await signOutEverywhere(phone);

      expect(await entra.redeemRefreshToken(phoneToken!), 'the one the partition held').to.equal('invalid_grant');
      expect(await entra.redeemRefreshToken(laptopToken!), "the laptop's, replaced by the phone's sign-in").to.equal('invalid_grant');
    });

    it('revokes nothing when the same browser signs in again in the same provider session: the new tokens work on', async () => {
      const browser = app.browser();
      await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' }); // prompt=login, a claims challenge
      const [first, second] = issued;

      expect(entra.revocationRequests, 'a provider may revoke the whole session with one of its tokens').to.deep.equal([]);
      expect(await entra.redeemRefreshToken(second!)).to.not.equal('invalid_grant');
      expect(first).to.not.equal(second);
    });

    it('revokes the rotated refresh token of a refresh whose write-back lost to a sign-in of the same account on another device', async () => {
      const laptop = app.browser();
      await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop' });

      let deliver!: () => void;
      answersHeld = new Promise((resolve) => (deliver = resolve));
      const page = laptop.get('/profile'); // refreshes: the provider rotates the laptop's refresh token
      while (issued.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      answersHeld = undefined;
      const rotated = issued[1]!;
      const phone = app.browser();
      await signInWithBrowser(phone, entra, alice, { sid: 'sid-phone' }); // rewrites the partition meanwhile
      deliver();
      expect((await page).status).to.equal(200);
      expect(app.logs.some((line) => line.includes('refreshed tokens not stored: partition changed meanwhile'))).to.equal(true);

      expect(await entra.redeemRefreshToken(rotated), 'issued by the refresh, dropped, never held by the partition').to.equal('invalid_grant');
      await signOutEverywhere(phone);
      expect(await entra.redeemRefreshToken(issued.at(-1)!), "the phone's, which the partition held").to.equal('invalid_grant');
    });
  });
}
