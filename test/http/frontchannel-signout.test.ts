import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

for (const tokenStore of ['memory', 'sqlite'] as const) {
  describe(`front-channel sign-out from the provider (${tokenStore} stores)`, () => {
    const alice = fakeUser('alice');
    const bob = fakeUser('bob');
    let entra: FakeEntra;
    let app: TestApp;

    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: tokenStore, SQLITE_PATH: ':memory:' })));
    afterEach(() => stopTestApp(app));

    it("ends alice's sessions and removes her tokens by sid alone, without her cookie; bob is untouched", async () => {
      const aliceLaptop = app.browser();
      const aliceOtherTab = app.browser();
      const bobBrowser = app.browser();
      await signInWithBrowser(aliceLaptop, entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(aliceOtherTab, entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
      const { tokenStore: tokens } = app.container.cradle;

      const provider = app.browser(); // the provider's iframe: no cookie of ours
      const answer = await provider.get('/auth/signout/frontchannel?sid=sid-alice');

      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-store');
      expect(answer.headers.get('content-security-policy')).to.contain(`frame-ancestors ${new URL(entra.authority).origin}`);
      expect(answer.headers.get('x-frame-options')).to.equal(null);
      expect(await tokens.read(`${alice.oid}.${entra.tenantId}`), "alice's tokens").to.equal(undefined);
      for (const browser of [aliceLaptop, aliceOtherTab]) {
        const page = await browser.get('/profile');
        expect(page.status).to.equal(302);
        expect(page.location).to.match(/^\/auth\/signin/);
      }
      expect(await tokens.read(`${bob.oid}.${entra.tenantId}`), "bob's tokens").to.not.equal(undefined);
      const bobPage = await bobBrowser.get('/profile');
      expect(bobPage.status).to.equal(200);
      expect(bobPage.text).to.contain(bob.username);
    });

    it('answers a repeated or unknown sid with the same quiet 200', async () => {
      await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
      const provider = app.browser();
      const first = await provider.get('/auth/signout/frontchannel?sid=sid-alice');
      const again = await provider.get('/auth/signout/frontchannel?sid=sid-alice');
      const unknown = await provider.get('/auth/signout/frontchannel?sid=never-seen');
      expect([first.status, again.status, unknown.status]).to.deep.equal([200, 200, 200]);
      expect(again.text).to.equal(unknown.text);
    });

    it('accepts the issuer when the provider sends iss, and refuses another issuer', async () => {
      await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(app.browser(), entra, bob, { sid: 'sid-bob' });
      const provider = app.browser();
      const forged = await provider.get(`/auth/signout/frontchannel?sid=sid-bob&iss=${encodeURIComponent('https://evil.example/v2.0')}`);
      expect(forged.status).to.equal(400);
      expect(await app.container.cradle.tokenStore.read(`${bob.oid}.${entra.tenantId}`)).to.not.equal(undefined);
      const genuine = await provider.get(`/auth/signout/frontchannel?sid=sid-alice&iss=${encodeURIComponent(entra.issuer)}`);
      expect(genuine.status).to.equal(200);
      expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    });

    it('refuses a request without sid with 400', async () => {
      const answer = await app.browser().get('/auth/signout/frontchannel');
      expect(answer.status).to.equal(400);
    });
  });
}
