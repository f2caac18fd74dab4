import { expect } from 'chai';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom, type ScriptedBrowser } from '../support/scripted-browser.ts';

/**
 * The id_token_hint of a sign-out started here is read from the tokens that sign-out removes, so
 * the URL is built first; the hint is best effort and never decides whether the sign-out happens,
 * and it is only ever the ID token of the signing-out session's own provider session.
 */
describe('sign-out: id_token_hint is best effort', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let browser: ScriptedBrowser;
  let accountId: string;

  const signOut = async () => browser.post('/auth/signout', { _csrf: csrfFrom(await browser.get('/')) });
  const auditEvents = () => app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out');
  const hintWarnings = () => app.logs.filter((line) => line.includes('sign-out URL built without id_token_hint'));
  /** The end-session URL the app sent the browser to, after checking everything but the hint. */
  const endSessionOf = (answer: { status: number; location?: string; text: string }) => {
    expect(answer.status, answer.text).to.equal(302);
    const url = new URL(answer.location!);
    expect(url.origin + url.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(url.searchParams.get('post_logout_redirect_uri')).to.equal(`${app.baseUrl}/auth/signed-out`);
    expect(url.searchParams.get('client_id')).to.equal(entra.clientId);
    expect(url.searchParams.get('logout_hint')).to.equal(`hint-${alice.oid}`);
    return url;
  };
  const expectSignedOut = async () => {
    expect(await app.container.cradle.tokenStore.read(accountId), 'tokens removed').to.equal(undefined);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice'), 'session ended').to.deep.equal([]);
    const after = await browser.get('/profile');
    expect(after.status).to.equal(302);
    expect(after.location).to.match(/^\/auth\/signin/);
  };

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice]));
    accountId = `${alice.oid}.${entra.tenantId}`;
    browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    expect((await browser.get('/profile')).status).to.equal(200);
  });
  afterEach(() => stopTestApp(app));

  it("never sends another device's ID token: after a second sign-in of the user, this session's sign-out goes without the hint", async () => {
    const laptopIdToken = entra.issuedIdTokens.at(-1)!;
    const phone = app.browser();
    await signInWithBrowser(phone, entra, alice, { sid: 'sid-alice-phone' }); // replaces the partition's ID token
    const phoneIdToken = entra.issuedIdTokens.at(-1)!;
    expect(phoneIdToken).to.not.equal(laptopIdToken);

    const url = endSessionOf(await signOut());

    expect(url.searchParams.get('id_token_hint'), "not the phone's, which names its provider session").to.equal(null);
    expect(url.toString()).to.not.contain(phoneIdToken);
    await expectSignedOut();
  });

  it("sends the ID token of the session's own sign-in", async () => {
    const phone = app.browser();
    await signInWithBrowser(phone, entra, alice, { sid: 'sid-alice-phone' });

    const answer = await phone.post('/auth/signout', { _csrf: csrfFrom(await phone.get('/')) });

    expect(endSessionOf(answer).searchParams.get('id_token_hint')).to.equal(entra.issuedIdTokens.at(-1));
  });

  it('goes without the hint when the partition is already gone, and still ends the session', async () => {
    await app.container.cradle.tokenStore.remove(accountId); // e.g. removed by a sign-out elsewhere meanwhile

    const url = endSessionOf(await signOut());

    expect(url.searchParams.has('id_token_hint')).to.equal(false);
    await expectSignedOut();
    expect(auditEvents()).to.have.length(1);
    expect(auditEvents()[0]).to.include({ channel: 'app', sessionsEnded: 1, partitionRemoved: false });
  });

  it('goes without the hint when the partition holds no ID token, and still removes the tokens', async () => {
    const { tokenStore } = app.container.cradle;
    const cache = JSON.parse((await tokenStore.read(accountId))!.data) as Record<string, unknown>;
    await tokenStore.write(accountId, JSON.stringify({ ...cache, IdToken: {} }));

    const url = endSessionOf(await signOut());

    expect(url.searchParams.has('id_token_hint')).to.equal(false);
    await expectSignedOut();
    expect(auditEvents()[0]).to.include({ channel: 'app', outcome: 'removed', partitionRemoved: true });
  });

  it('goes without the hint when reading it fails, and the sign-out then succeeds as before', async () => {
    const { tokenStore } = app.container.cradle;
    const read = tokenStore.read.bind(tokenStore);
    let failures = 1; // the first read on the sign-out path is the hint's
    tokenStore.read = async (id) => {
      if (failures-- > 0) throw new StoreUnavailable('the token store is briefly down');
      return read(id);
    };

    const url = endSessionOf(await signOut());

    expect(url.searchParams.has('id_token_hint')).to.equal(false);
    expect(hintWarnings(), 'the failed read was the hint').to.have.length(1);
    expect(hintWarnings()[0], 'no token in the log line').to.not.contain(entra.issuedIdTokens.at(-1));
    await expectSignedOut();
    expect(auditEvents()[0]).to.include({ channel: 'app', outcome: 'removed', partitionRemoved: true });
  });

  it('fails as before when the store stays down: a 503, and the session and tokens stay', async () => {
    const { tokenStore } = app.container.cradle;
    const read = tokenStore.read.bind(tokenStore);
    let down = true;
    tokenStore.read = async (id) => {
      if (down) throw new StoreUnavailable('the token store is down');
      return read(id);
    };
    const home = await browser.get('/');

    const refused = await browser.post('/auth/signout', { _csrf: csrfFrom(home) });
    down = false;

    expect(refused.status).to.equal(503);
    expect(hintWarnings(), 'the hint was given up first').to.have.length(1);
    expect(auditEvents()).to.have.length(1);
    expect(auditEvents()[0]).to.include({ channel: 'app', outcome: 'failed' });
    expect(await tokenStore.read(accountId), 'tokens kept').to.not.equal(undefined);
    expect((await browser.get('/profile')).status, 'still signed in').to.equal(200);

    const url = endSessionOf(await signOut());
    expect(url.searchParams.get('id_token_hint'), 'the retry carries the hint').to.equal(entra.issuedIdTokens.at(-1));
    await expectSignedOut();
  });
});
