import { expect } from 'chai';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * A sign-in of an account already signed in on another device replaces its partition, and the
 * other device's sessions go on with the new tokens. The refresh token it replaced is not revoked
 * then: Keycloak revokes every token of the user for the client with any one of them
 * (TokenRevocationEndpoint.revokeClient in keycloak/keycloak), and so does Auth0 with "Refresh Token
 * Revocation Deletes Grant", which would take the tokens just stored with it (README, "One account,
 * several devices"). The fake provider here revokes that way.
 */
describe('a sign-in of an account signed in on another device', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let issued: string[];

  beforeEach(async () => {
    issued = [];
    ({ entra, app } = await startAppWithFakeEntra([alice], { TOKEN_STORE: 'memory' }, (fake) => {
      fake.revocation = true;
      fake.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: /profile refreshes
      fake.tokenAnswer = (_form, answer) => {
        const body = answer[1] as { refresh_token?: string };
        if (answer[0] === 200 && body.refresh_token) issued.push(body.refresh_token);
        return answer;
      };
    }));
    // As Keycloak's revocation endpoint: every refresh token of the user for this client ends.
    const push = entra.revocationRequests.push.bind(entra.revocationRequests);
    entra.revocationRequests.push = (...forms) => {
      entra.revokeRefreshTokens(alice);
      return push(...forms);
    };
  });
  afterEach(() => stopTestApp(app));

  for (const [what, phoneSid] of [['in another provider session', 'sid-phone'], ['again in the same provider session (prompt=login)', 'sid-laptop']] as const) {
    it(`${what} revokes nothing, and the tokens it stored keep working on both devices`, async () => {
      const laptop = app.browser();
      await signInWithBrowser(laptop, entra, alice, { sid: 'sid-laptop' });
      const phone = phoneSid === 'sid-laptop' ? laptop : app.browser();
      await signInWithBrowser(phone, entra, alice, { sid: phoneSid });

      expect(entra.revocationRequests, 'nothing sent for revocation').to.deep.equal([]);
      expect((await phone.get('/profile')).status, 'the new sign-in, past its first access token').to.equal(200);
      expect((await laptop.get('/profile')).status, 'the first device, on the new tokens').to.equal(200);
      expect(await entra.redeemRefreshToken(issued.at(-1)!)).to.equal('ok');
    });
  }
});
