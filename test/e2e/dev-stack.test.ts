import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page, ScriptedBrowser } from '../support/scripted-browser.ts';
import { sessionCount, tokenPartition } from './support/app-database.ts';
import { browse, expectRedirectToSignIn, signInToProfile, signOutFromApp } from './support/journeys.ts';
import type { Hop } from './support/journeys.ts';
import { accountIdOf, startTestStack } from './support/test-stack.ts';
import type { TestStack } from './support/test-stack.ts';

/**
 * The whole offline world over real HTTP on localhost, as `npm start` runs it: the dev identity
 * provider (HTTPS), the demo API, and two app processes (A and B) with their own SQLite files. The
 * scripted browsers keep one cookie jar across the apps and the provider, as a real browser does.
 */

const ALICE = accountIdOf('alice');
const BOB = accountIdOf('bob');

/** `GET provider/<tenant>/login/<uid>` or `GET http://localhost:<port>/profile`: a hop without its query and random ids. */
function routeStep(hop: Hop, issuer: string): string {
  const url = new URL(hop.url);
  const where = url.origin === new URL(issuer).origin ? 'provider' : url.origin;
  return `${hop.method} ${where}${url.pathname.replace(/\/(login|authorize)\/[^/]+/, '/$1/<uid>')}`;
}

describe('dev stack end to end: sign-in and calling the API', function () {
  this.timeout(60_000);
  let world: TestStack;

  // Under MSAL's 5-minute expiry margin: every profile load has to refresh the access token.
  before(async () => (world = await startTestStack({ accessTokenTtlSeconds: 60 })));
  after(() => world?.close());

  it('signs alice in through the dev provider and shows her demo-API profile', async () => {
    const { appA, stack } = world;
    const browser = world.browser();

    const { page, hops, providerPages } = await signInToProfile(browser, appA, 'alice');

    const route = hops.map((hop) => routeStep(hop, stack.issuer));
    const idp = `provider${new URL(stack.issuer).pathname.replace(/\/v2\.0$/, '')}`;
    expect(route).to.deep.equal([
      `GET ${appA.url}/profile`,
      `GET ${appA.url}/auth/signin`,
      `GET ${idp}/oauth2/v2.0/authorize`,
      `GET ${idp}/login/<uid>`,
      `POST ${idp}/login/<uid>/login`,
      `GET ${idp}/oauth2/v2.0/authorize/<uid>`,
      `GET ${idp}/login/<uid>`,
      `POST ${idp}/login/<uid>/consent`,
      `GET ${idp}/oauth2/v2.0/authorize/<uid>`,
      `GET ${appA.url}/auth/redirect`,
      `GET ${appA.url}/profile`,
    ]);
    expect(providerPages).to.deep.equal(['login', 'consent']);

    expect(page.status).to.equal(200);
    expect(page.text).to.include('Alice Smith').and.to.include('alice@contoso.dev');
    expect(page.text).to.include('Tokens this app holds for you');
    expect(page.text).to.match(/<table class="tokens">[\s\S]*<td>Access token<\/td>[\s\S]*<\/table>/);
    expect(page.text).to.match(/<td>Refresh token<\/td>/);
    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's token partition in app-a.db").to.not.equal(undefined);
  });

  it('refreshes the access token when it has expired', async () => {
    const { appA } = world;
    const browser = world.browser();
    await signInToProfile(browser, appA, 'alice');
    const afterSignIn = await tokenPartition(appA.sqlitePath, ALICE);

    const first = await browser.get(`${appA.url}/profile`);
    const afterFirst = await tokenPartition(appA.sqlitePath, ALICE);
    const second = await browser.get(`${appA.url}/profile`);
    const afterSecond = await tokenPartition(appA.sqlitePath, ALICE);

    for (const page of [first, second]) {
      expect(page.status, page.text.slice(0, 300)).to.equal(200);
      expect(page.text).to.include('Alice Smith');
    }
    expect(afterSignIn?.version).to.be.a('string');
    expect(afterFirst?.version, 'rewritten by the first refresh').to.be.a('string').and.not.equal(afterSignIn!.version);
    expect(afterSecond?.version, 'rewritten by the second refresh').to.be.a('string').and.not.equal(afterFirst!.version);
  });

  it("ends every session of alice in app A when the provider's Revoke sessions makes her next refresh fail (AADSTS50173), bob untouched", async () => {
    const { appA, stack } = world;
    const [laptop, lostPhone, bobBrowser] = [world.browser(), world.browser(), world.browser()];
    await signInToProfile(laptop, appA, 'alice');
    await signInToProfile(lostPhone, appA, 'alice');
    await signInToProfile(bobBrowser, appA, 'bob');
    expect(await sessionCount(appA.sqlitePath, ALICE)).to.be.at.least(2);

    await stack.identityProvider.revokeUserSessions('alice');
    const page = await laptop.get(`${appA.url}/profile`); // its token is inside MSAL's margin: a refresh, refused

    expect(page.status).to.equal(302);
    expect(await sessionCount(appA.sqlitePath, ALICE), 'every session of alice, the lost phone\'s too').to.equal(0);
    expect(await tokenPartition(appA.sqlitePath, ALICE)).to.equal(undefined);
    expectRedirectToSignIn(await lostPhone.get(`${appA.url}/profile`), appA);
    expect((await bobBrowser.get(`${appA.url}/profile`)).status, 'bob').to.equal(200);
  });
});

describe('dev stack end to end: sign-out from the app', function () {
  this.timeout(60_000);
  let world: TestStack;

  before(async () => (world = await startTestStack()));
  after(() => world?.close());

  it("sign-out removes alice's tokens from the SQLite file while bob's stay", async () => {
    const { appA } = world;
    const aliceBrowser = world.browser();
    const bobBrowser = world.browser();
    const { page: aliceProfile } = await signInToProfile(aliceBrowser, appA, 'alice');
    await signInToProfile(bobBrowser, appA, 'bob');
    expect(await tokenPartition(appA.sqlitePath, ALICE), 'alice signed in').to.not.equal(undefined);
    expect(await tokenPartition(appA.sqlitePath, BOB), 'bob signed in').to.not.equal(undefined);

    const signOut = await signOutFromApp(aliceBrowser, appA, aliceProfile);

    expect(new URL(signOut.formAnswer.redirectUrl!).origin, 'sent on to the provider').to.equal(new URL(world.stack.issuer).origin);
    // Her ID token from the partition the sign-out removed; the provider verified it (confirm page below).
    const idTokenHint = new URL(signOut.formAnswer.redirectUrl!).searchParams.get('id_token_hint');
    expect(idTokenHint, 'id_token_hint (RP-Initiated Logout 1.0 §2)').to.be.a('string');
    const hinted = decodeJwt(idTokenHint!);
    expect([hinted.aud, `${hinted.oid}.${hinted.tid}`]).to.deep.equal([appA.clientId, ALICE]);
    expect(await tokenPartition(appA.sqlitePath, ALICE), 'removed before the browser even reaches the provider').to.equal(undefined);
    expect(signOut.confirmPage.text).to.include('Alice Smith');
    for (const frame of signOut.frames) expect((await aliceBrowser.get(frame, { withoutCookies: true })).status).to.equal(200);
    const end = await browse(aliceBrowser, signOut.continueUrl);
    expect(end.page.url).to.match(new RegExp(`^${appA.url}/auth/signed-out`));
    expect(end.page.status).to.equal(200);
    expect(end.page.text).to.include('You are signed out').and.include('the tokens this app held for you have been removed');

    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's token partition").to.equal(undefined);
    expect(await sessionCount(appA.sqlitePath, ALICE), "alice's sessions").to.equal(0);
    expect(await tokenPartition(appA.sqlitePath, BOB), "bob's token partition").to.not.equal(undefined);
    const bobProfile = await bobBrowser.get(`${appA.url}/profile`);
    expect(bobProfile.status).to.equal(200);
    expect(bobProfile.text).to.include('Bob');
    expectRedirectToSignIn(await aliceBrowser.get(`${appA.url}/profile`), appA);
  });
});

describe('dev stack end to end: restart', function () {
  this.timeout(60_000);
  let world: TestStack;
  const kept = ['dev-stack-secrets.json', 'dev-idp/tls-cert.pem', 'dev-idp/tls-key.pem', 'dev-idp/jwks.json', 'dev-idp/cookie-keys.json'];
  const readKept = () => Promise.all(kept.map((file) => readFile(path.join(world.dataDir, file))));

  before(async () => (world = await startTestStack()));
  after(() => world?.close());

  it('keeps users signed in across a restart', async () => {
    const browser = world.browser();
    await signInToProfile(browser, world.appA, 'alice');
    const before = await readKept();
    expect(before.map((bytes) => bytes.length > 0), kept.join(', ')).to.deep.equal(kept.map(() => true));
    expect(before[1]!.toString()).to.include('BEGIN CERTIFICATE');

    await world.restart();

    const page = await browser.get(`${world.appA.url}/profile`);
    expect(page.status, page.text.slice(0, 300)).to.equal(200);
    expect(page.text).to.include('Alice Smith').and.to.include('alice@contoso.dev');
    const after = await readKept();
    after.forEach((bytes, i) => expect(bytes.equals(before[i]!), `${kept[i]} unchanged`).to.equal(true));
  });
});

describe('dev stack end to end: single sign-out across the two apps', function () {
  this.timeout(60_000);
  let world: TestStack;

  before(async () => (world = await startTestStack()));
  after(() => world?.close());

  it('signs alice out of app A when she signs out at app B, through front-channel iframes sent without cookies', async () => {
    const { appA, appB } = world;
    const browser: ScriptedBrowser = world.browser();
    const atA = await signInToProfile(browser, appA, 'alice');
    const atB = await signInToProfile(browser, appB, 'alice');
    expect(atA.providerPages).to.deep.equal(['login', 'consent']);
    expect(atB.providerPages, 'single sign-on: no login form the second time').to.not.include('login');
    expect(await tokenPartition(appA.sqlitePath, ALICE), 'alice in app A').to.not.equal(undefined);
    expect(await tokenPartition(appB.sqlitePath, ALICE), 'alice in app B').to.not.equal(undefined);

    const signOut = await signOutFromApp(browser, appB, atB.page);

    const frameFor = (app: { url: string }) => signOut.frames.find((frame) => frame.startsWith(`${app.url}/auth/signout/frontchannel?sid=`));
    expect(signOut.frames).to.have.length(2);
    expect(frameFor(appA), `iframes: ${signOut.frames.join(', ')}`).to.be.a('string');
    expect(frameFor(appB), `iframes: ${signOut.frames.join(', ')}`).to.be.a('string');
    expect(await tokenPartition(appA.sqlitePath, ALICE), 'app A not told yet').to.not.equal(undefined);

    for (const frame of signOut.frames) {
      const answer = await browser.get(frame, { withoutCookies: true });
      expect(answer.status, frame).to.equal(200);
    }

    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's tokens in app A").to.equal(undefined);
    expect(await sessionCount(appA.sqlitePath, ALICE), "alice's sessions in app A").to.equal(0);
    expect(await tokenPartition(appB.sqlitePath, ALICE), "alice's tokens in app B").to.equal(undefined);
    expectRedirectToSignIn(await browser.get(`${appA.url}/profile`), appA);
    const end = await browse(browser, signOut.continueUrl);
    expect(end.page.url).to.match(new RegExp(`^${appB.url}/auth/signed-out`));
  });
});
