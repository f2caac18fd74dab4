import { expect } from 'chai';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { sessionCount, sessionSids, sessionsWithSid, tokenPartition } from '../e2e/support/app-database.ts';
import { accountIdOf } from '../e2e/support/test-stack.ts';
import { openProfileSigningIn, openRecording, signOutAt, waitUntil } from './support/browser-journeys.ts';
import { startBrowserStack } from './support/browser-stack.ts';
import type { BrowserStack } from './support/browser-stack.ts';
import { launchChromium } from './support/chromium.ts';
import { Steps } from './support/steps.ts';
import type { LogoutChannel } from '../../src/dev/start-dev-stack.ts';

/**
 * Single sign-out in a real browser (headless Chromium) against the offline dev stack: alice signs
 * in to app A and app B, signs out at B, and must be signed out of A too: no token row left in A's
 * SQLite file, A's profile sends her to sign in. Bob, in another browser context, stays signed in.
 */

const ALICE = accountIdOf('alice');
const BOB = accountIdOf('bob');

interface World {
  readonly stack: BrowserStack;
  readonly providerOrigin: string;
  readonly alice: Page;
  readonly aliceContext: BrowserContext;
  readonly bob: Page;
  readonly steps: Steps;
}

/** A fresh stack, browser and screenshot folder for one describe; torn down after it. */
function freshWorld(suite: string, logoutChannels: readonly [LogoutChannel, LogoutChannel]): () => World {
  let world: World | undefined;
  let browser: Browser | undefined;
  let stack: BrowserStack | undefined;
  before(async () => {
    const steps = new Steps(suite);
    await steps.reset();
    stack = await startBrowserStack(logoutChannels);
    browser = await launchChromium(stack.certPem);
    const open = async () => {
      const context = await browser!.newContext();
      context.setDefaultTimeout(15_000);
      return { context, page: await context.newPage() };
    };
    const alice = await open();
    const bob = await open();
    world = { stack, providerOrigin: new URL(stack.stack.issuer).origin, alice: alice.page, aliceContext: alice.context, bob: bob.page, steps };
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });
  return () => world!;
}

async function expectProfileOf(page: Page, name: string): Promise<void> {
  expect(await page.locator('dl.profile').innerText(), `profile at ${page.url()}`).to.include(name);
  expect(await page.getByRole('heading', { name: 'Tokens this app holds for you' }).count()).to.equal(1);
}

/** Alice signs in to A with her password, then reaches B by single sign-on. Bob signs in to A. */
async function everyoneSignsIn({ stack, alice, bob, steps }: World): Promise<void> {
  const { appA, appB } = stack;
  await steps.run('alice signs in to app A', alice, async () => {
    const signIn = await openProfileSigningIn(alice, appA, 'alice');
    expect(signIn.providerPages).to.deep.equal(['login', 'consent']);
    await expectProfileOf(alice, 'Alice Smith');
    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's tokens in app-a.db").to.not.equal(undefined);
  });
  await steps.run('alice opens app B without typing her password', alice, async () => {
    // No `username`: the journey throws if the provider shows a password field.
    const signIn = await openProfileSigningIn(alice, appB);
    expect(signIn.providerPages, 'single sign-on: no login form').to.not.include('login');
    const passwordPosts = signIn.navigations.filter((hop) => hop.startsWith('POST ') && /\/login\/[^/]+\/login$/.test(new URL(hop.slice(5)).pathname));
    expect(passwordPosts, 'login form posts').to.deep.equal([]);
    await expectProfileOf(alice, 'Alice Smith');
    expect(await tokenPartition(appB.sqlitePath, ALICE), "alice's tokens in app-b.db").to.not.equal(undefined);
  });
  await steps.run('bob signs in to app A in his own browser context', bob, async () => {
    const signIn = await openProfileSigningIn(bob, appA, 'bob');
    expect(signIn.providerPages).to.deep.equal(['login', 'consent']);
    await expectProfileOf(bob, 'Bob');
    expect(await tokenPartition(appA.sqlitePath, BOB), "bob's tokens in app-a.db").to.not.equal(undefined);
  });
}

/** Starts waiting for the answer to app A's front-channel URL (in an iframe of the provider's page). */
function frontChannelAnswerOfA({ stack, alice }: World): Promise<Response> {
  const answer = alice.waitForResponse((response) => response.url().startsWith(`${stack.appA.url}/auth/signout/frontchannel?`));
  answer.catch(() => undefined); // awaited by the step; this only keeps an early timeout from going unhandled
  return answer;
}

async function expectSignedOutPageOfB({ stack, alice }: World): Promise<void> {
  expect(alice.url()).to.equal(`${stack.appB.url}/auth/signed-out`);
  expect(await alice.getByRole('heading', { name: 'You are signed out' }).count()).to.equal(1);
  // Said after the provider's round trip: the sign-out's note came back with the browser.
  expect(await alice.getByText('the tokens this app held for you have been removed').count()).to.equal(1);
}

/** Alice's tokens are gone from app A's SQLite file, and A's profile sends her to the provider to sign in. */
async function aliceIsSignedOutOfA({ stack, providerOrigin, alice, steps }: World): Promise<void> {
  const { appA } = stack;
  await steps.run("app A's store no longer holds alice's tokens", alice, async () => {
    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's row in app-a.db token_partitions").to.equal(undefined);
    expect(await sessionCount(appA.sqlitePath, ALICE), "alice's rows in app-a.db sessions").to.equal(0);
  });
  await steps.run("alice's app A profile sends her to sign in", alice, async () => {
    const { navigations, finalUrl } = await openRecording(alice, `${appA.url}/profile`);
    expect(navigations, navigations.join('\n')).to.include(`GET ${appA.url}/auth/signin?returnTo=%2Fprofile`);
    expect(new URL(finalUrl).origin, finalUrl).to.equal(providerOrigin);
    expect(new URL(finalUrl).pathname, finalUrl).to.match(/\/login\/[^/]+$/);
    expect(await alice.locator('input[name="password"]').count(), 'password field').to.equal(1);
  });
}

async function bobIsUntouched({ stack, bob, steps }: World): Promise<void> {
  await steps.run('bob is still signed in to app A', bob, async () => {
    const { finalUrl } = await openRecording(bob, `${stack.appA.url}/profile`);
    expect(finalUrl).to.equal(`${stack.appA.url}/profile`);
    await expectProfileOf(bob, 'Bob');
    expect(await tokenPartition(stack.appA.sqlitePath, BOB), "bob's row in app-a.db token_partitions").to.not.equal(undefined);
    expect(await sessionCount(stack.appA.sqlitePath, BOB), "bob's sessions in app-a.db").to.be.greaterThan(0);
  });
}

describe('single sign-out in a browser: front-channel', function () {
  this.timeout(60_000);
  const world = freshWorld('front-channel', ['front-channel', 'front-channel']);

  it("signs alice out of app A when she signs out at app B, through the provider's iframe, and leaves bob signed in", async () => {
    const w = world();
    await everyoneSignsIn(w);

    await w.steps.run('alice signs out at app B', w.alice, async () => {
      const answerOfA = frontChannelAnswerOfA(w);
      await signOutAt(w.alice, w.stack.appB, w.providerOrigin);
      expect((await answerOfA).status(), "app A's front-channel answer").to.equal(200);
      await expectSignedOutPageOfB(w);
    });
    await aliceIsSignedOutOfA(w);
    await bobIsUntouched(w);
  });
});

describe("single sign-out in a browser: front-channel when the browser sends app A's iframe no cookie", function () {
  this.timeout(60_000);
  const world = freshWorld('front-channel-without-cookies', ['front-channel', 'front-channel']);

  it('finds alice\'s sessions in app A by the provider\'s sid alone', async () => {
    const w = world();
    const { appA } = w.stack;
    await everyoneSignsIn(w);
    const sidsBefore = await sessionSids(appA.sqlitePath, ALICE);

    await w.steps.run("app A's cookies are cleared in alice's browser", w.alice, async () => {
      expect(sidsBefore, "sid of alice's session in app-a.db").to.have.length.greaterThan(0);
      await w.aliceContext.clearCookies({ name: 'app-a.session' });
      await w.aliceContext.clearCookies({ name: 'app-a.session.sig' });
      const left = (await w.aliceContext.cookies(appA.url)).map((cookie) => cookie.name);
      expect(left).to.not.include('app-a.session').and.not.include('app-a.session.sig');
    });
    await w.steps.run('alice signs out at app B', w.alice, async () => {
      const answerOfA = frontChannelAnswerOfA(w);
      await signOutAt(w.alice, w.stack.appB, w.providerOrigin);
      const answer = await answerOfA;
      expect(answer.status(), "app A's front-channel answer").to.equal(200);
      const headers = await answer.request().allHeaders();
      expect(headers, 'headers of the iframe request to app A').to.not.have.property('cookie');
      const sid = new URL(answer.url()).searchParams.get('sid');
      expect(sidsBefore, "the iframe's sid is the one app A stored for alice").to.include(sid);
      expect(await sessionsWithSid(appA.sqlitePath, sid!), `app-a.db sessions with sid ${sid}`).to.equal(0);
      await expectSignedOutPageOfB(w);
    });
    await aliceIsSignedOutOfA(w);
    await bobIsUntouched(w);
  });
});

describe('single sign-out in a browser: back-channel to app A, front-channel to app B', function () {
  this.timeout(60_000);
  const world = freshWorld('back-channel', ['back-channel', 'front-channel']);

  it('signs alice out of app A by a logout token from the provider, with no iframe for A', async () => {
    const w = world();
    const { appA, appB } = w.stack;
    await everyoneSignsIn(w);

    await w.steps.run('alice signs out at app B', w.alice, async () => {
      const { frameRequests } = await signOutAt(w.alice, appB, w.providerOrigin);
      const frames = frameRequests.map((request) => request.url());
      expect(frames.filter((url) => url.startsWith(`${appA.url}/`)), 'iframes to app A').to.deep.equal([]);
      expect(frames.filter((url) => url.startsWith(`${appB.url}/auth/signout/frontchannel?`)), 'iframes to app B').to.have.length(1);
      await expectSignedOutPageOfB(w);
    });
    await w.steps.run("app A is told by the provider's back-channel logout token", w.alice, async () => {
      await waitUntil(async () => await tokenPartition(appA.sqlitePath, ALICE) === undefined, 10_000, "alice's row is still in app-a.db token_partitions");
    });
    await aliceIsSignedOutOfA(w);
    await bobIsUntouched(w);
  });
});
