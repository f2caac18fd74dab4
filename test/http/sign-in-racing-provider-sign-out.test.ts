import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { deleteRedisKeys } from '../support/redis-server.ts';
import { waitUntil } from '../support/wait-until.ts';

/**
 * A sign-in whose code redemption is still in flight when the provider signs its provider session
 * out: the sign-out finds no session of that `sid` (it is written only once the code is redeemed),
 * so the sign-in ends itself when it completes. Without that, the session and its tokens lived on
 * until they expired, and the provider never sends another sign-out for that `sid`.
 */
describe('a sign-in completing after the provider signed its provider session out', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let dir: string;
  let prefix: string;
  let release: () => void;
  let held: boolean;

  const stores = {
    memory: () => ({ TOKEN_STORE: 'memory' }),
    sqlite: () => ({ TOKEN_STORE: 'sqlite', SQLITE_PATH: join(dir, 'app.db') }),
    redis: () => ({ TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: prefix, SIGN_OUT_JOURNAL_PATH: join(dir, 'journal.json') }),
  };
  const accountId = () => `${alice.oid}.${entra.tenantId}`;

  for (const [store, env] of Object.entries(stores)) {
    describe(`with the ${store} store`, () => {
      beforeEach(async () => {
        dir = mkdtempSync(join(tmpdir(), 'sign-in-race-'));
        prefix = `sign-in-race:${randomUUID()}:`;
        held = false;
        ({ entra, app } = await startAppWithFakeEntra([alice], env(), (fake) => {
          fake.revocation = true;
          // The code redemption answers only once the test releases it.
          fake.tokenAnswer = async (form, answer) => {
            if (form.get('grant_type') !== 'authorization_code') return answer;
            held = true;
            await new Promise<void>((resolve) => (release = resolve));
            return answer;
          };
        }));
      });
      afterEach(async () => {
        await stopTestApp(app);
        rmSync(dir, { recursive: true, force: true });
        if (store === 'redis') await deleteRedisKeys(prefix);
      });

      const signOuts = {
        'front-channel': async () => (await app.browser().get('/auth/signout/frontchannel?sid=sid-S')).status,
        'back-channel': async () =>
          (await app.browser().post('/auth/signout/backchannel', { logout_token: await entra.logoutToken({ sid: 'sid-S', sub: `sub-${alice.oid}` }) }, { headers: { origin: '', accept: '*/*' } })).status,
      };
      for (const [channel, signOut] of Object.entries(signOuts)) {
        it(`ends the session and removes the tokens when the ${channel} sign-out came during the code redemption`, async () => {
          const browser = app.browser();
          const callback = signInWithBrowser(browser, entra, alice, { sid: 'sid-S' });
          await waitUntil(() => held, 5_000, 'the code redemption to reach the provider');
          expect(await signOut()).to.equal(200);
          release();

          const answer = await callback;
          expect(answer.status, answer.text).to.equal(302);
          expect(answer.location).to.equal('/auth/signed-out');
          expect(await app.container.cradle.sessionStore.findBySid('sid-S'), 'no session of that sid').to.deep.equal([]);
          expect(await app.container.cradle.tokenStore.read(accountId()), 'no tokens').to.equal(undefined);
          expect(entra.revocationRequests, 'its refresh token revoked').to.have.length(1);
          expect((await browser.get('/profile')).status, 'signed in as nobody').to.equal(302);
        });
      }

      it('answers an error page, signed in as nobody, when ending that sign-in fails part-way', async () => {
        const browser = app.browser();
        const callback = signInWithBrowser(browser, entra, alice, { sid: 'sid-S' });
        await waitUntil(() => held, 5_000, 'the code redemption to reach the provider');
        expect(await signOuts['front-channel']()).to.equal(200);
        const tokenStore = app.container.cradle.tokenStore;
        tokenStore.remove = async () => {
          throw new StoreUnavailable('the store is not answering');
        };
        release();

        expect((await callback).status).to.equal(503);
        expect((await browser.get('/profile')).status, 'signed in as nobody').to.equal(302);
        expect(await app.container.cradle.sessionStore.findBySid('sid-S'), 'its session ended all the same').to.deep.equal([]);
      });

      it('signs in as usual when the provider signed out another provider session', async () => {
        const browser = app.browser();
        const callback = signInWithBrowser(browser, entra, alice, { sid: 'sid-S' });
        await waitUntil(() => held, 5_000, 'the code redemption to reach the provider');
        expect(await (await app.browser().get('/auth/signout/frontchannel?sid=sid-other')).status).to.equal(200);
        release();

        expect((await callback).location).to.equal('/');
        expect((await browser.get('/profile')).status).to.equal(200);
      });
    });
  }
});
