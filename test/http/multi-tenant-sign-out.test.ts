import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * With a multi-tenant authority each tenant is an issuer, and a `sid` or `sub` is unique per issuer
 * only (Back-Channel Logout 1.0 §2.7: the sessions "indicated by the iss and sid Claims"): one
 * tenant's sign-out of a provider session ends none of another tenant's.
 */
describe('sign-out from the provider with a multi-tenant (common) authority', () => {
  const T1 = '11111111-aaaa-4aaa-8aaa-111111111111';
  const T2 = '22222222-bbbb-4bbb-8bbb-222222222222';
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000a2', T1);
  const bob = fakeUser('bob', 'bbbbbbbb-0000-0000-0000-0000000000b2', T2);
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice, bob], { ALLOWED_TENANTS: `${T1},${T2}` }, () => {}, {}, { tenant: 'common', tenantId: T1 })));
  afterEach(() => stopTestApp(app));

  const channels = {
    'front-channel, with iss': (sid: string, iss: string) => app.browser().get(`/auth/signout/frontchannel?sid=${sid}&iss=${encodeURIComponent(iss)}`),
    'back-channel': async (sid: string, iss: string) =>
      app.browser().post('/auth/signout/backchannel', { logout_token: await entra.logoutToken({ sid, iss }) }, { headers: { origin: '', accept: '*/*' } }),
  };

  for (const [channel, signOut] of Object.entries(channels)) {
    it(`${channel}: one tenant's sign-out of a sid ends that tenant's session only, not another tenant's with the same sid`, async () => {
      const aliceBrowser = app.browser();
      const bobBrowser = app.browser();
      expect((await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'S' })).status).to.equal(302);
      expect((await signInWithBrowser(bobBrowser, entra, bob, { sid: 'S' })).status).to.equal(302);
      const { tokenStore } = app.container.cradle;

      expect((await signOut('S', entra.issuerFor(T2))).status).to.equal(200);

      expect(await tokenStore.read(`${bob.oid}.${T2}`), "T2's user signed out").to.equal(undefined);
      expect((await bobBrowser.get('/profile')).status).to.equal(302);
      expect(await tokenStore.read(`${alice.oid}.${T1}`), "T1's user keeps her tokens").to.not.equal(undefined);
      expect((await aliceBrowser.get('/profile')).status, 'and her session').to.equal(200);
    });
  }

  it("front-channel without iss (as Entra sends it) ends every session of the sid: nothing tells the tenants apart", async () => {
    const aliceBrowser = app.browser();
    const bobBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'S' });
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'S' });

    expect((await app.browser().get('/auth/signout/frontchannel?sid=S')).status).to.equal(200);

    expect((await aliceBrowser.get('/profile')).status).to.equal(302);
    expect((await bobBrowser.get('/profile')).status).to.equal(302);
  });
});
