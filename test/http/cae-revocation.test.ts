import { expect } from 'chai';
import nock from 'nock';
import { fakeGraph, GRAPH, signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { metricValue } from '../support/metric-values.ts';
import { waitUntil } from '../support/wait-until.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';

/**
 * Continuous Access Evaluation: Graph answers a revoked session with a claims challenge asking for
 * a token issued after the revocation. The app removes the account's tokens before sending the user
 * to sign in again with those claims; a step-up challenge keeps them.
 */
describe('CAE claims challenges from the API', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000c1');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  function challengeNextCall(claims: object): void {
    nock.cleanAll();
    entra.install();
    nock(GRAPH)
      .get('/v1.0/me')
      .reply(401, { error: { code: 'InvalidAuthenticationToken' } }, {
        'WWW-Authenticate': `Bearer realm="", authorization_uri="${entra.authority}/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(JSON.stringify(claims)).toString('base64')}"`,
      });
    fakeGraph([alice]);
  }

  it('a refresh the token endpoint refuses with a revocation challenge ends every session of the account as well: the lost device is not served the next sign-in\'s tokens', async () => {
    const revocation = { access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } };
    let revoked = false;
    entra.tokenAnswer = (form, answer) =>
      form.get('grant_type') === 'refresh_token' && revoked
        ? [400, { error: 'invalid_grant', error_description: 'AADSTS50173: The provided grant has expired due to it being revoked.', error_codes: [50173], suberror: 'bad_token', claims: JSON.stringify(revocation) }]
        : answer;
    entra.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: every page refreshes
    const phone = app.browser();
    await signInWithBrowser(phone, entra, alice);
    const lostDevice = app.browser();
    await signInWithBrowser(lostDevice, entra, alice);
    const accountId = `${alice.oid}.${entra.tenantId}`;
    revoked = true;

    const page = await phone.get('/profile');
    expect(page.status).to.equal(302);
    expect(JSON.parse(new URL(page.location!).searchParams.get('claims')!).access_token.nbf).to.deep.equal(revocation.access_token.nbf);
    expect(await app.container.cradle.tokenStore.read(accountId), 'no tokens left behind').to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findByAccount(accountId), 'every session of the account ended').to.deep.equal([]);
    const audit = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
    expect(audit.map((line) => [line.channel, line.outcome, line.sessionsEnded])).to.deep.equal([['cae-revocation', 'removed', 2]]);

    revoked = false;
    entra.accessTokenLifetimeSeconds = 3600;
    const { code, state } = entra.authorize(page.location!, alice);
    expect((await phone.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile');
    const onLostDevice = await lostDevice.get('/profile');
    expect(onLostDevice.status, 'the revoked device is sent to sign in').to.equal(302);
    expect(onLostDevice.text).to.not.contain('Alice');
    expect((await phone.get('/profile')).status, 'the device that signed in again').to.equal(200);
  });

  for (const [what, errorCode, ended] of [
    ["AADSTS50173 (revoked: a password reset, an admin's Revoke sessions)", 50173, true],
    ['AADSTS50057 (the account disabled)', 50057, true],
    ['AADSTS700082 (expired for inactivity: not revoked)', 700082, false],
  ] as const) {
    it(`a refresh refused with ${what} ${ended ? 'ends every session of the account' : 'sends this browser to sign in and leaves the other sessions'}`, async () => {
      let refused = false;
      entra.tokenAnswer = (form, answer) =>
        form.get('grant_type') === 'refresh_token' && refused
          ? [400, { error: 'invalid_grant', error_description: `AADSTS${errorCode}: refused.`, error_codes: [errorCode] }]
          : answer;
      entra.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: every page refreshes
      const phone = app.browser();
      await signInWithBrowser(phone, entra, alice);
      await signInWithBrowser(app.browser(), entra, alice);
      const accountId = `${alice.oid}.${entra.tenantId}`;
      refused = true;

      const page = await phone.get('/profile');
      expect(page.status).to.equal(302);
      expect(new URL(page.location!, 'http://app').pathname).to.match(/^\/auth\/signin|^\/oauth2|authorize$/);
      const left = await app.container.cradle.sessionStore.findByAccount(accountId);
      const audit = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
      if (ended) {
        expect(left, 'every session of the account ended').to.deep.equal([]);
        expect(await app.container.cradle.tokenStore.read(accountId), 'no tokens left behind').to.equal(undefined);
        expect(audit.map((line) => [line.channel, line.outcome, line.sessionsEnded])).to.deep.equal([['cae-revocation', 'removed', 2]]);
      } else {
        expect(left, "the other device's session").to.have.length(2);
        expect(audit).to.deep.equal([]);
      }
    });
  }

  describe('a background refresh (the token past its refresh_on, served meanwhile) refused', () => {
    /** Alice on two devices, her tokens past `refresh_on`, the token endpoint refusing refreshes with `error_codes`. */
    async function pastRefreshOn(errorCode: number) {
      entra.refreshInSeconds = 600; // Entra's refresh_in on long-lived tokens: refresh_on is then past, below
      const device = app.browser();
      await signInWithBrowser(device, entra, alice);
      await signInWithBrowser(app.browser(), entra, alice);
      const accountId = `${alice.oid}.${entra.tenantId}`;
      const { tokenStore, sessionStore } = app.container.cradle;
      const partition = (await tokenStore.read(accountId))!;
      const cache = JSON.parse(partition.data) as { AccessToken: Record<string, { refresh_on?: string }> };
      for (const token of Object.values(cache.AccessToken)) token.refresh_on = String(Math.floor(Date.now() / 1000) - 10);
      expect(await tokenStore.write(accountId, JSON.stringify(cache), partition.version)).to.equal(true);
      entra.tokenAnswer = (form, answer) =>
        form.get('grant_type') === 'refresh_token' ? [400, { error: 'invalid_grant', error_description: `AADSTS${errorCode}: refused.`, error_codes: [errorCode] }] : answer;
      expect((await device.get('/profile')).status, 'served the token still held while the refresh runs behind it').to.equal(200);
      await waitUntil(() => app.logs.some((line) => line.includes('background token refresh')), 2000, 'the background refresh did not end');
      const audit = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out').map((line) => [line.channel, line.outcome, line.sessionsEnded]);
      return { device, accountId, tokenStore, sessionStore, audit };
    }

    it('as revoked (AADSTS50173) ends every session of the account at the next page, not when the token nears expiry', async () => {
      const { device, accountId, tokenStore, sessionStore, audit } = await pastRefreshOn(50173);
      const next = await device.get('/profile');

      expect(next.status).to.equal(302);
      expect(await sessionStore.findByAccount(accountId), 'every session of the account ended').to.deep.equal([]);
      expect(await tokenStore.read(accountId), 'no tokens left behind').to.equal(undefined);
      expect(audit()).to.deep.equal([['cae-revocation', 'removed', 2]]);
    });

    it('as revoked, whose sign-out fails once (the store down), is tried again by the next page', async () => {
      const { device, accountId, sessionStore, audit } = await pastRefreshOn(50173);
      const destroy = sessionStore.destroy.bind(sessionStore);
      let down = true;
      sessionStore.destroy = async (id: string) => {
        if (down) throw new StoreUnavailable('the session store is down');
        return destroy(id);
      };
      expect((await device.get('/profile')).status, 'the store down').to.equal(503);
      down = false;

      expect((await device.get('/profile')).status).to.equal(302);
      expect(await sessionStore.findByAccount(accountId)).to.deep.equal([]);
      expect(audit()).to.deep.equal([['cae-revocation', 'failed', 0], ['cae-revocation', 'removed', 2]]);
    });

    it('as expired (AADSTS700082, not revoked) ends nothing: the token is served until it nears expiry', async () => {
      const { device, accountId, sessionStore, audit } = await pastRefreshOn(700082);
      expect((await device.get('/profile')).status).to.equal(200);
      expect(await sessionStore.findByAccount(accountId)).to.have.length(2);
      expect(audit()).to.deep.equal([]);
    });
  });

  it("a revocation challenge removes the tokens and ends the account's sessions, then sends the user to sign in with the claims", async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const lostDevice = app.browser();
    await signInWithBrowser(lostDevice, entra, alice);
    const accountId = `${alice.oid}.${entra.tenantId}`;
    expect((await browser.get('/profile')).status).to.equal(200);
    expect((await lostDevice.get('/profile')).status).to.equal(200);
    const revocation = { access_token: { nbf: { essential: true, value: '1700000000' } } };
    challengeNextCall(revocation);

    const page = await browser.get('/profile');
    expect(page.status).to.equal(302);
    const requested = JSON.parse(new URL(page.location!).searchParams.get('claims')!);
    expect(requested.access_token.nbf).to.deep.equal(revocation.access_token.nbf);
    expect(await app.container.cradle.tokenStore.read(accountId), 'no tokens left behind').to.equal(undefined);
    const audit = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ channel: 'cae-revocation', outcome: 'removed', sessionsEnded: 2, partitionRemoved: true, revocation: 'unsupported' });
    expect(audit[0]!.requestId).to.equal(page.headers.get('x-request-id'));
    expect(await app.container.cradle.sessionStore.findByAccount(accountId), 'every session of the account ended').to.deep.equal([]);
    const { registry } = app.container.cradle.metrics;
    expect(await metricValue(registry, 'app_sign_outs_total', { channel: 'cae-revocation', outcome: 'removed' }), 'counted as a sign-out').to.equal(1);
    expect(await metricValue(registry, 'app_token_partitions_removed_total')).to.equal(1);

    const { code, state } = entra.authorize(page.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile');
    const redeemedWith = JSON.parse(entra.lastTokenRequestClaims ?? '{}');
    expect(redeemedWith.access_token?.nbf, 'the code redeemed for a token that meets the challenge').to.deep.equal(revocation.access_token.nbf);
    expect(redeemedWith.access_token?.xms_cc, 'with the client capabilities').to.deep.equal({ values: ['cp1'] });
    expect((await browser.get('/profile')).status).to.equal(200);
    // The other device shared the partition the new sign-in wrote: it must sign in itself.
    const elsewhere = await lostDevice.get('/profile');
    expect(elsewhere.status).to.equal(302);
    expect(new URL(elsewhere.location!, 'http://app').pathname).to.equal('/auth/signin');
  });

  it('a challenge answered late ends every session of the account, one signed in while the call was under way too: it may be the lost device', async () => {
    const phone = app.browser();
    await signInWithBrowser(phone, entra, alice);
    const accountId = `${alice.oid}.${entra.tenantId}`;
    const revocation = { access_token: { nbf: { essential: true, value: String(Math.ceil(Date.now() / 1000) + 1) } } };
    const challenge = {
      'WWW-Authenticate': `Bearer realm="", error="insufficient_claims", claims="${Buffer.from(JSON.stringify(revocation)).toString('base64')}"`,
    };
    nock.cleanAll();
    entra.install();
    const slow = nock(GRAPH).get('/v1.0/me').delay(1_500).reply(401, { error: { code: 'InvalidAuthenticationToken' } }, challenge);
    fakeGraph([alice]);
    const phonePage = phone.get('/profile');
    for (let turn = 0; turn < 200 && !slow.isDone(); turn++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(slow.isDone(), "the phone's call is under way").to.equal(true);
    // Another device signs in meanwhile, before the provider revokes the user's sessions: it is revoked too.
    const lost = app.browser();
    await signInWithBrowser(lost, entra, alice);

    expect((await phonePage).status).to.equal(302);
    expect(await app.container.cradle.sessionStore.findByAccount(accountId), 'every session of the account ended').to.deep.equal([]);
    expect(await app.container.cradle.tokenStore.read(accountId)).to.equal(undefined);
    // The user signs in again on the phone: the device signed out must not be served those tokens.
    const again = await phone.get('/auth/signin');
    const { code, state } = entra.authorize(again.location!, alice);
    await phone.get(`/auth/redirect?code=${code}&state=${state}`);
    expect((await lost.get('/profile')).status).to.equal(302);
  });

  it('a revocation sign-out the store cannot carry out is a 503, audited and counted as failed, the tokens kept; the next load completes it', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const lostDevice = app.browser();
    await signInWithBrowser(lostDevice, entra, alice);
    const accountId = `${alice.oid}.${entra.tenantId}`;
    const { tokenStore, sessionStore, metrics } = app.container.cradle;
    const destroy = sessionStore.destroy.bind(sessionStore);
    let down = true;
    sessionStore.destroy = async (id) => {
      if (down) throw new StoreUnavailable('the session store is down');
      return destroy(id);
    };
    const revocation = { access_token: { nbf: { essential: true, value: '1700000000' } } };
    challengeNextCall(revocation);

    const failed = await browser.get('/profile');
    expect(failed.status).to.equal(503);
    const audit = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
    expect(audit()).to.have.length(1);
    expect(audit()[0]).to.include({ channel: 'cae-revocation', outcome: 'failed', subject: `sub-${alice.oid}`, requestId: failed.headers.get('x-request-id') });
    expect(await metricValue(metrics.registry, 'app_sign_outs_total', { channel: 'cae-revocation', outcome: 'failed' })).to.equal(1);
    // Sessions are ended before the tokens go: with the sessions standing, the tokens stay, so that
    // the next page meets the challenge again (without tokens it went to sign in, the session
    // stood, and served the account's next sign-in to the lost device).
    expect(await tokenStore.read(accountId), 'the tokens, until the sessions are ended').to.not.equal(undefined);

    down = false;
    challengeNextCall(revocation);
    const retried = await lostDevice.get('/profile');
    expect(retried.status).to.equal(302);
    expect(await tokenStore.read(accountId), 'no tokens left behind').to.equal(undefined);
    expect(await sessionStore.findByAccount(accountId), 'every session of the account ended').to.deep.equal([]);
    expect(audit().map((line) => line.outcome)).to.deep.equal(['failed', 'removed']);
  });

  it('carries a long claims challenge (Conditional Access naming many policies) to the code redemption too', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const policies = { access_token: { capolids: { essential: true, values: Array.from({ length: 12 }, (_, i) => `${String(i).padStart(8, '0')}-1111-2222-3333-444444444444`) } } };
    expect(JSON.stringify(policies).length).to.be.above(512);
    challengeNextCall(policies);

    const page = await browser.get('/profile');
    const { code, state } = entra.authorize(page.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile');
    expect(JSON.parse(entra.lastTokenRequestClaims ?? '{}').access_token?.capolids).to.deep.equal(policies.access_token.capolids);
  });

  it('a revocation challenge that goes on right after the sign-in answering it is a 502 page that no longer shows the user signed in', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    const revocation = { access_token: { nbf: { essential: true, value: '1700000000' } } };
    challengeNextCall(revocation);
    const page = await browser.get('/profile');
    const { code, state } = entra.authorize(page.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile');
    challengeNextCall(revocation); // the API refuses the new token too

    const again = await browser.get('/profile');

    expect(again.status, 'not a redirect loop').to.equal(502);
    expect(again.text).to.contain('still refuses access after you signed in again');
    expect(again.text, 'its session ended with the revocation').to.not.contain('Signed in as').and.not.contain('action="/auth/signout"');
    expect(again.text, 'the header offers to sign in').to.contain('href="/auth/signin"');
    expect(await app.container.cradle.sessionStore.findByAccount(`${alice.oid}.${entra.tenantId}`)).to.deep.equal([]);
    expect((await browser.get('/profile')).status, 'the next page goes to sign in').to.equal(302);
  });

  it('a step-up challenge sends the user to sign in and keeps the tokens', async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice);
    challengeNextCall({ access_token: { acrs: { essential: true, value: 'c1' } } });
    const page = await browser.get('/profile');
    expect(page.status).to.equal(302);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.not.equal(undefined);
    expect(app.logs.filter((line) => line.includes('"event":"sign-out"')), 'no sign-out').to.deep.equal([]);
    expect(await metricValue(app.container.cradle.metrics.registry, 'app_sign_outs_total', { channel: 'cae-revocation' }), 'not a sign-out').to.equal(0);

    const { code, state } = entra.authorize(page.location!, alice);
    expect((await browser.get(`/auth/redirect?code=${code}&state=${state}`)).location).to.equal('/profile');
    const redeemedWith = JSON.parse(entra.lastTokenRequestClaims ?? '{}');
    expect(redeemedWith.access_token?.acrs, 'the code redeemed for a token that meets the step-up').to.deep.equal({ essential: true, value: 'c1' });
  });
});
