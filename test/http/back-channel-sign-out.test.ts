import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import nock from 'nock';
import { FakeEntra, fakeUser, foreignKey } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { ScriptedBrowser, type Page } from '../support/scripted-browser.ts';
import { userSnapshot } from '../support/user-snapshot.ts';

describe('back-channel sign-out (OpenID Connect Back-Channel Logout 1.0)', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let app: TestApp;
  let provider: ScriptedBrowser;

  const accountOf = (user: typeof alice) => `${user.oid}.${entra.tenantId}`;
  const post = (logoutToken?: string) =>
    provider.post('/auth/signout/backchannel', logoutToken === undefined ? {} : { logout_token: logoutToken }, { headers: { origin: '', accept: '*/*' } });

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: 'sqlite', SQLITE_PATH: ':memory:' }));
    provider = app.browser(); // the provider's server: no cookie of ours
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice-phone' });
    await signInWithBrowser(app.browser(), entra, bob, { sid: 'sid-bob' });
  });
  afterEach(() => stopTestApp(app));

  async function expectRefused(answer: Page) {
    expect(answer.status, answer.text).to.equal(400);
    expect(answer.headers.get('content-type')).to.match(/application\/json/);
    expect(JSON.parse(answer.text)).to.include({ error: 'invalid_request' });
    expect(answer.headers.get('cache-control')).to.equal('no-cache, no-store');
    expect(await app.container.cradle.tokenStore.read(accountOf(alice)), 'alice still has tokens').to.not.equal(undefined);
  }

  const bobNow = () => userSnapshot(app.container.cradle, { accountId: accountOf(bob), sid: 'sid-bob', subject: `sub-${bob.oid}` });

  it('ends the sessions of the sid and removes the tokens, leaving bob alone', async () => {
    const bobBefore = await bobNow();
    const answer = await post(await entra.logoutToken({ sid: 'sid-alice', sub: `sub-${alice.oid}` }));
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('cache-control')).to.equal('no-cache, no-store');
    const { tokenStore, sessionStore } = app.container.cradle;
    expect(await tokenStore.read(accountOf(alice))).to.equal(undefined);
    expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    expect(await sessionStore.findBySid('sid-alice-phone'), 'her other provider session stays').to.have.length(1);
    expect(bobBefore.partition, 'bob has tokens').to.not.equal(undefined);
    expect(bobBefore.sessions, 'bob has a session').to.have.length(1);
    expect(await bobNow(), 'bob untouched').to.deep.equal(bobBefore);
  });

  it('ends every session of the user when the token names only sub', async () => {
    const bobBefore = await bobNow();
    const answer = await post(await entra.logoutToken({ sub: `sub-${alice.oid}` }));
    expect(answer.status).to.equal(200);
    const { tokenStore, sessionStore } = app.container.cradle;
    expect(await sessionStore.findBySubject(`sub-${alice.oid}`)).to.deep.equal([]);
    expect(await tokenStore.read(accountOf(alice))).to.equal(undefined);
    expect(bobBefore.sessions, 'bob has a session').to.have.length(1);
    expect(await bobNow(), 'bob untouched').to.deep.equal(bobBefore);
  });

  const acceptedTypes = [
    [null, 'without a declared type'],
    ['JWT', 'typed JWT, as Keycloak sends it'],
    ['application/LOGOUT+JWT', 'typed application/LOGOUT+JWT (RFC 7515 §4.1.9: any case, application/ optional)'],
  ] as const;
  for (const [typ, what] of acceptedTypes) {
    it(`accepts a logout token ${what}`, async () => {
      const answer = await post(await entra.logoutToken({ sid: 'sid-alice' }, undefined, typ));
      expect(answer.status).to.equal(200);
      expect(await app.container.cradle.tokenStore.read(accountOf(alice))).to.equal(undefined);
    });
  }

  it('accepts a token with several audiences whose authorized party is this client', async () => {
    const answer = await post(await entra.logoutToken({ sid: 'sid-alice', aud: [entra.clientId, 'another-client'], azp: entra.clientId }));
    expect(answer.status).to.equal(200);
    expect(await app.container.cradle.tokenStore.read(accountOf(alice))).to.equal(undefined);
  });

  it('refuses a replayed token', async () => {
    const token = await entra.logoutToken({ sid: 'sid-bob' });
    expect((await post(token)).status).to.equal(200);
    const replay = await post(token);
    expect(replay.status).to.equal(400);
    expect(JSON.parse(replay.text).error_description).to.match(/already used/);
  });

  const invalid: Array<[string, (entra: FakeEntra) => Promise<string>]> = [
    ['signed by a key the provider never published', async (e) => e.logoutToken({ sid: 'sid-alice' }, await foreignKey())],
    ['for another client (aud)', (e) => e.logoutToken({ sid: 'sid-alice', aud: 'another-client' })],
    // OpenID Connect Core §3.1.3.7 steps 3-5, which Back-Channel Logout §2.6 applies.
    ['also meant for another audience, without azp (azp)', (e) => e.logoutToken({ sid: 'sid-alice', aud: [e.clientId, 'another-client'] })],
    ['also meant for another audience, with azp that other one (azp)', (e) => e.logoutToken({ sid: 'sid-alice', aud: [e.clientId, 'another-client'], azp: 'another-client' })],
    ['from another issuer', (e) => e.logoutToken({ sid: 'sid-alice', iss: 'https://evil.example/v2.0' })],
    ['issued long ago (iat)', (e) => e.logoutToken({ sid: 'sid-alice', iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) + 60 })],
    // The maximum age is 300 s; the clock skew (300 s) does not stretch it.
    ['older than 300 s, within the clock skew (iat)', (e) => e.logoutToken({ sid: 'sid-alice', iat: Math.floor(Date.now() / 1000) - 420, exp: Math.floor(Date.now() / 1000) + 60 })],
    // Past the 5-minute clock skew allowed by default (CLOCK_SKEW_SECONDS).
    ['expired (exp)', (e) => e.logoutToken({ sid: 'sid-alice', exp: Math.floor(Date.now() / 1000) - 400 })],
    ['without exp', (e) => e.logoutToken({ sid: 'sid-alice', exp: undefined })],
    // Never valid: the clock skew is for clocks that differ, not for a token that expires as it is issued.
    ['expiring before it was issued, within the clock skew (exp)', (e) => e.logoutToken({ sid: 'sid-alice', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) - 100 })],
    ['expiring when it was issued (exp)', (e) => e.logoutToken({ sid: 'sid-alice', iat: Math.floor(Date.now() / 1000) - 10, exp: Math.floor(Date.now() / 1000) - 10 })],
    ['without the back-channel logout event', (e) => e.logoutToken({ sid: 'sid-alice', events: { 'urn:other': {} } })],
    ['carrying a nonce', (e) => e.logoutToken({ sid: 'sid-alice', nonce: 'n' })],
    ['naming neither sid nor sub', (e) => e.logoutToken({ sub: undefined })],
    // Read as absent, these would sign out every session of the user the sub names.
    ['whose sid is a number, next to a sub', (e) => e.logoutToken({ sid: 12345, sub: `sub-${alice.oid}` })],
    ['whose sid is empty, next to a sub', (e) => e.logoutToken({ sid: '', sub: `sub-${alice.oid}` })],
    ['whose sub is not a string', (e) => e.logoutToken({ sid: 'sid-alice', sub: { id: 1 } })],
    ['without jti', (e) => e.logoutToken({ sid: 'sid-alice', jti: undefined })],
    ['that is not a JWT at all', async () => 'not-a-jwt'],
    // Back-Channel Logout 1.0 §4.1 (Cross-JWT Confusion): a JWT that declares another type.
    ['declared to be an access token (typ at+jwt)', (e) => e.logoutToken({ sid: 'sid-alice' }, undefined, 'at+jwt')],
  ];
  for (const [what, make] of invalid) {
    it(`refuses a logout token ${what} with 400 JSON and removes nothing`, async () => {
      await expectRefused(await post(await make(entra)));
    });
  }

  it('ignores other form values, also ones named like parts of logout_token (§2.5: values not understood are ignored)', async () => {
    const token = await entra.logoutToken({ sid: 'sid-alice', sub: `sub-${alice.oid}` });
    const answer = await provider.post(
      '/auth/signout/backchannel',
      { logout_token: token, 'logout_token[x]': '1', 'logout_token.y': '2', state: 'whatever' },
      { headers: { origin: '', accept: '*/*' } },
    );
    expect(answer.status, answer.text).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
  });

  it('answers tokens naming unknown keys, past five looks in 30 s, with 503: neither a failed sign-out nor an alert', async () => {
    const key = await foreignKey();
    const forged = (kid: string) => {
      const now = Math.floor(Date.now() / 1000);
      const events = { 'http://schemas.openid.net/event/backchannel-logout': {} };
      return new SignJWT({ iss: entra.issuerFor(), aud: entra.clientId, iat: now, exp: now + 120, jti: randomUUID(), events, sid: 'sid-alice' })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
        .sign(key);
    };
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post(await forged(`invented-${i}`))).status);

    expect(statuses, 'refused while the keys can be looked at; then not checkable yet, so retried').to.deep.equal([400, 400, 400, 400, 400, 503, 503]);
    const lines = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.event === 'sign-out'), 'no sign-out, failed or not').to.deep.equal([]);
    expect(lines.filter((line) => line.level === 'error'), 'nothing for an alert').to.deep.equal([]);
    expect(lines.filter((line) => line.message === 'token check deferred')).to.have.length(2);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
  });

  it('refuses a request without logout_token', async () => {
    await expectRefused(await post());
  });

  it('refuses a body larger than the app reads with 400 JSON, as every refused logout request (§2.8), not a 413', async () => {
    await expectRefused(await post('x'.repeat(100_000)));
  });
});

describe('back-channel sign-out while the provider keys cannot be fetched', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000b7');
  let entra: FakeEntra;
  let app: TestApp;

  beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice])));
  afterEach(() => stopTestApp(app));

  const post = async (token: string) =>
    app.browser().post('/auth/signout/backchannel', { logout_token: token }, { headers: { origin: '', accept: '*/*' } });

  it('answers 503 (the provider retries), not 400, when no keys were ever fetched', async () => {
    entra.jwksStatus = 503;
    const answer = await post(await entra.logoutToken({ sid: 'sid-alice' }));
    expect(answer.status, answer.text).to.equal(503);
    expect(JSON.parse(answer.text)).to.include({ error: 'server_error' });
  });

  it('refuses what is no signed JWT with 400 before discovery is held: no failed sign-out, no alert; a well-formed token waits for it (503)', async () => {
    const wellFormed = await entra.logoutToken({ sid: 'sid-alice' });
    nock.cleanAll(); // the provider out of reach before this instance ever read its discovery document
    for (const junk of ['not-a-jwt', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln', 'a.b.c.d.e']) {
      const answer = await post(junk);
      expect(answer.status, junk).to.equal(400);
      expect(JSON.parse(answer.text), junk).to.include({ error: 'invalid_request' });
    }
    const lines = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.event === 'sign-out'), 'no sign-out, failed or not').to.deep.equal([]);
    expect(lines.filter((line) => line.level === 'error'), 'nothing for an alert').to.deep.equal([]);
    expect((await post(wellFormed)).status, 'a token that may be genuine: the provider retries').to.equal(503);
  });

  it('still signs the user out during a JWKS outage, with the keys fetched before it', async () => {
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    entra.jwksStatus = 503;
    const answer = await post(await entra.logoutToken({ sid: 'sid-alice' }));
    expect(answer.status, answer.text).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
  });
});
