import { expect } from 'chai';
import { refreshTokenSecrets } from '../../src/adapters/msal/partition-secrets.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { metricValue } from '../support/metric-values.ts';
import { csrfFrom, type ScriptedBrowser } from '../support/scripted-browser.ts';

/**
 * RFC 7009: a sign-out that removes a token partition also revokes, at the provider, the refresh
 * token the partition held — after the local removal, within 2 s, never failing the sign-out.
 * The provider is Entra faked with nock, given the revocation endpoint Entra itself lacks.
 */
describe('refresh tokens revoked at the provider on sign-out (RFC 7009)', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let app: TestApp;
  let aliceBrowser: ScriptedBrowser;
  let aliceRefreshToken: string;

  const accountOf = (user: typeof alice) => `${user.oid}.${entra.tenantId}`;
  const auditEvents = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
  /** The reasons of the log's "refresh token revocation failed" warnings. */
  const revocationWarnings = () =>
    app.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.message === 'refresh token revocation failed')
      .map((line) => line.reason);
  /** `app_refresh_token_revocations_total`: the failed ones, and all. */
  const revocationsCounted = async () => {
    const { registry } = app.container.cradle.metrics;
    const name = 'app_refresh_token_revocations_total';
    return { failed: await metricValue(registry, name, { outcome: 'failed' }), total: await metricValue(registry, name) };
  };

  async function heldRefreshToken(user: typeof alice): Promise<string> {
    const partition = await app.container.cradle.tokenStore.read(accountOf(user));
    const [token] = refreshTokenSecrets(partition?.data ?? '', entra.clientId);
    if (!token) throw new Error(`the app holds no refresh token for ${user.username}`);
    return token;
  }

  async function start(revocation: boolean): Promise<void> {
    ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }, (fake) => {
      fake.revocation = revocation;
    }));
    aliceBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    await signInWithBrowser(app.browser(), entra, bob, { sid: 'sid-bob' });
    aliceRefreshToken = await heldRefreshToken(alice);
  }

  afterEach(() => stopTestApp(app));

  describe('with a provider that advertises revocation_endpoint', () => {
    beforeEach(() => start(true));

    it('revokes the refresh token the app held when the user signs out here: the provider then refuses it', async () => {
      expect(await entra.redeemRefreshToken(aliceRefreshToken), 'valid before').to.equal('ok');

      const answer = await aliceBrowser.post('/auth/signout', { _csrf: csrfFrom(await aliceBrowser.get('/profile')) });

      expect(answer.status).to.equal(302);
      expect(await entra.redeemRefreshToken(aliceRefreshToken)).to.equal('invalid_grant');
      expect(entra.revocationRequests).to.deep.equal([
        { token: aliceRefreshToken, token_type_hint: 'refresh_token', client_id: entra.clientId, client_secret: 'test-secret' },
      ]);
      expect(await entra.redeemRefreshToken(await heldRefreshToken(bob)), "bob's still works").to.equal('ok');
    });

    it('revokes on front-channel and back-channel sign-out too', async () => {
      const bobRefreshToken = await heldRefreshToken(bob);
      const provider = app.browser();

      expect((await provider.get('/auth/signout/frontchannel?sid=sid-alice')).status).to.equal(200);
      const logoutToken = await entra.logoutToken({ sid: 'sid-bob', sub: `sub-${bob.oid}` });
      expect((await provider.post('/auth/signout/backchannel', { logout_token: logoutToken }, { headers: { origin: '' } })).status).to.equal(200);

      expect(await entra.redeemRefreshToken(aliceRefreshToken)).to.equal('invalid_grant');
      expect(await entra.redeemRefreshToken(bobRefreshToken)).to.equal('invalid_grant');
      expect(auditEvents().map((event) => [event.channel, event.revocation])).to.deep.equal([
        ['front-channel', 'revoked'],
        ['back-channel', 'revoked'],
      ]);
    });

    it('revokes nothing a second time when the partition is already gone', async () => {
      const provider = app.browser();
      await provider.get('/auth/signout/frontchannel?sid=sid-alice');
      await provider.get('/auth/signout/frontchannel?sid=sid-alice');

      expect(entra.revocationRequests).to.have.length(1);
      expect(auditEvents().map((event) => [event.outcome, event.revocation])).to.deep.equal([
        ['removed', 'revoked'],
        ['nothing-held', 'not-attempted'],
      ]);
    });

    it('gives up on a provider that does not answer within 2 s, and the sign-out stands', async () => {
      entra.revocationDelayMs = 4000;
      const started = Date.now();

      const answer = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');

      expect(answer.status).to.equal(200);
      expect(Date.now() - started, 'answered within the revocation deadline').to.be.below(3000);
      expect(await app.container.cradle.tokenStore.read(accountOf(alice)), 'removed all the same').to.equal(undefined);
      expect(auditEvents()[0]).to.include({ outcome: 'removed', revocation: 'failed' });
      expect(revocationWarnings()).to.deep.equal(['no answer within 2000 ms']);
      expect(await revocationsCounted()).to.deep.equal({ failed: 1, total: 1 });
    });

    it('logs and counts a provider that refuses the revocation, and the sign-out stands', async () => {
      entra.revocationStatus = 503;

      await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');

      expect(await app.container.cradle.tokenStore.read(accountOf(alice))).to.equal(undefined);
      expect(auditEvents()[0]).to.include({ revocation: 'failed' });
      expect(revocationWarnings()[0]).to.match(/answered 503 temporarily_unavailable/);
      expect(await metricValue(app.container.cradle.metrics.registry, 'app_sign_outs_total', { channel: 'front-channel', outcome: 'removed' })).to.equal(1);
      expect(await metricValue(app.container.cradle.metrics.registry, 'app_sign_outs_total')).to.equal(1);
      expect(await revocationsCounted()).to.deep.equal({ failed: 1, total: 1 });
    });

    it('never writes a token into the log', async () => {
      await aliceBrowser.post('/auth/signout', { _csrf: csrfFrom(await aliceBrowser.get('/profile')) });
      entra.revocationStatus = 503;
      await app.browser().get('/auth/signout/frontchannel?sid=sid-bob');

      const log = app.logs.join('\n');
      expect(log).to.not.contain(aliceRefreshToken);
      expect(log).to.not.match(new RegExp(`rt\\.(${alice.oid}|${bob.oid})|at\\.(${alice.oid}|${bob.oid})`));
    });
  });

  describe('with a provider without revocation (Microsoft Entra ID)', () => {
    beforeEach(() => start(false));

    it('removes the tokens here, sends nothing to the provider, and records the revocation as unsupported', async () => {
      await aliceBrowser.post('/auth/signout', { _csrf: csrfFrom(await aliceBrowser.get('/profile')) });

      expect(await app.container.cradle.tokenStore.read(accountOf(alice))).to.equal(undefined);
      expect(entra.revocationRequests).to.deep.equal([]);
      expect(auditEvents()).to.have.length(1);
      expect(auditEvents()[0]).to.include({ channel: 'app', outcome: 'removed', partitionRemoved: true, revocation: 'unsupported' });
    });
  });
});
