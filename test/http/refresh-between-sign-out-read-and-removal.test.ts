import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { deleteRedisKeys } from '../support/redis-server.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * Every sign-out that removes a token partition revokes the refresh token that partition held
 * (README, "Refresh tokens revoked at the provider"). A sign-out reads the partition, then removes
 * it; a refresh that writes back between the two (its compare-and-set finds the partition still
 * there) leaves a new refresh token in it. The sign-out then removes only the partition it read,
 * reads the rewritten one again, and revokes the refresh token it finally removed.
 */
for (const tokenStore of ['memory', 'sqlite', 'redis'] as const) {
  describe(`a refresh written between a sign-out's read of the partition and its removal (${tokenStore})`, () => {
    const alice = fakeUser('alice');
    let entra: FakeEntra;
    let app: TestApp;
    let issuedByRefresh: string[];
    const keyPrefix = `test:${randomUUID()}:`;

    beforeEach(async () => {
      issuedByRefresh = [];
      ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: tokenStore, SQLITE_PATH: ':memory:', REDIS_KEY_PREFIX: keyPrefix }, (fake) => {
        fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: /profile refreshes
        fake.revocation = true;
        fake.rotateRefreshTokens = true;
        fake.tokenAnswer = (form, answer) => {
          const body = answer[1] as { refresh_token?: string };
          if (form.get('grant_type') === 'refresh_token' && answer[0] === 200 && body.refresh_token) issuedByRefresh.push(body.refresh_token);
          return answer;
        };
      }));
    });
    afterEach(async () => {
      await stopTestApp(app);
      if (tokenStore === 'redis') await deleteRedisKeys(keyPrefix);
    });

    it('revokes the refresh token the removed partition held, not the one it read before the refresh', async () => {
      const browser = app.browser();
      await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
      const accountId = `${alice.oid}.${entra.tenantId}`;
      const { tokenStore: tokens } = app.container.cradle;

      // Pause the sign-out between its read of the partition and its removal.
      const remove = tokens.remove.bind(tokens);
      let reachedRemove!: () => void;
      const atRemove = new Promise<void>((resolve) => (reachedRemove = resolve));
      let letRemove!: () => void;
      const removeMayGo = new Promise<void>((resolve) => (letRemove = resolve));
      let paused = false;
      tokens.remove = async (id: string, expectedVersion?: string) => {
        if (!paused) {
          paused = true;
          reachedRemove();
          await removeMayGo;
        }
        return remove(id, expectedVersion);
      };

      const signOut = app.browser().get('/auth/signout/frontchannel?sid=sid-alice');
      await atRemove;
      const profile = await browser.get('/profile'); // refreshes; its compare-and-set finds the partition still there
      expect(profile.status).to.equal(200);
      expect(issuedByRefresh, 'a refresh happened and issued a new refresh token').to.have.length(1);
      letRemove();
      expect((await signOut).status).to.equal(200);

      expect(await tokens.read(accountId), 'removed').to.equal(undefined);
      const [storedAtRemoval] = issuedByRefresh;
      expect(await entra.redeemRefreshToken(storedAtRemoval!), 'the refresh token the removed partition held, at the provider').to.equal('invalid_grant');
    });
  });
}
