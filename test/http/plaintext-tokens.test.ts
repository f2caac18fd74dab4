import { expect } from 'chai';
import { EncryptingTokenStore } from '../../src/adapters/encryption/encrypting-token-store.ts';
import { TokenKeyring } from '../../src/adapters/encryption/token-keyring.ts';
import { fakeGraph, signInWithBrowser, startAppWithFakeEntra, stopTestApp, TEST_ENCRYPTION_KEY, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { warningsInto } from '../support/captured-logs.ts';

/**
 * ALLOW_PLAINTEXT_TOKENS=true without keys, over a store that still holds partitions sealed while
 * TOKEN_ENCRYPTION_KEYS was set (the keys were taken out): such a partition reads as absent.
 */
describe('tokens kept in plaintext, over partitions sealed earlier', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_ENCRYPTION_KEYS: '', ALLOW_PLAINTEXT_TOKENS: 'true' }));
  });
  afterEach(() => stopTestApp(app));

  it('sends the user to sign in again, with one warning, instead of an error page', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    fakeGraph([alice]);
    expect((await browser.get('/profile')).status).to.equal(200);
    // What the store held before the keys were taken out: the same partition, sealed.
    const accountId = `${alice.oid}.${entra.tenantId}`;
    const { storedTokenStore } = app.container.cradle;
    const plain = (await storedTokenStore.read(accountId))!.data;
    const sealed = new EncryptingTokenStore({ inner: storedTokenStore, keyring: new TokenKeyring([Buffer.from(TEST_ENCRYPTION_KEY, 'base64')]), clientId: entra.clientId, logger: warningsInto([]) });
    await sealed.write(accountId, plain);

    const page = await browser.get('/profile');
    expect(page.status, page.text).to.equal(302);
    expect(page.location!.startsWith(entra.authority), page.location).to.equal(true);
    expect(app.logs.join('\n')).to.contain('token partition is sealed and no TOKEN_ENCRYPTION_KEYS are configured');

    // Signed out from the provider: removed, and its refresh token, which could not be read, not revoked.
    expect((await app.browser().get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
    const audit = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.event === 'sign-out');
    expect(audit).to.include({ channel: 'front-channel', outcome: 'removed', partitionRemoved: true, revocation: 'failed' });
    expect(await storedTokenStore.read(accountId)).to.equal(undefined);
  });
});
