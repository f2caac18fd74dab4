import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { sessionCount, tokenPartition } from '../e2e/support/app-database.ts';
import { accountIdOf } from '../e2e/support/test-stack.ts';
import { openProfileSigningIn, openRecording } from './support/browser-journeys.ts';
import { startBrowserStack, type BrowserStack } from './support/browser-stack.ts';
import { launchChromium } from './support/chromium.ts';
import { Steps } from './support/steps.ts';

/**
 * Continuous Access Evaluation in a real browser: alice is signed in to app A; an operator revokes
 * her sessions at the provider (Entra's "Revoke sessions"). The demo API then answers her token with
 * the CAE revocation challenge, and app A's next profile load removes her tokens from its store and
 * sends her to sign in again, with her password. Bob is untouched.
 */
describe('CAE in a browser: the operator revokes a user, the app forgets her tokens', function () {
  this.timeout(60_000);
  const ALICE = accountIdOf('alice');
  const BOB = accountIdOf('bob');
  let stack: BrowserStack;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let operator: Page;
  const steps = new Steps('cae-revocation');

  before(async () => {
    await steps.reset();
    stack = await startBrowserStack(['front-channel', 'front-channel']);
    browser = await launchChromium(stack.certPem);
    const page = async () => {
      const context = await browser.newContext();
      context.setDefaultTimeout(15_000);
      return context.newPage();
    };
    [alice, bob, operator] = [await page(), await page(), await page()];
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("removes alice's tokens at her next page and asks her to sign in again", async () => {
    const { appA } = stack;
    await steps.run('alice and bob sign in to app A', alice, async () => {
      await openProfileSigningIn(alice, appA, 'alice');
      await openProfileSigningIn(bob, appA, 'bob');
      expect(await tokenPartition(appA.sqlitePath, ALICE)).to.not.equal(undefined);
    });

    await steps.run("the operator revokes alice's sessions at the provider", operator, async () => {
      await operator.goto(new URL('/dev/admin/revoke-sessions', stack.stack.issuer).href);
      await operator.getByLabel('User').selectOption('alice');
      await Promise.all([operator.waitForLoadState('load'), operator.getByRole('button', { name: 'Revoke sessions' }).click()]);
      expect(await operator.locator('body').innerText()).to.match(/alice/i);
    });

    await steps.run("alice's next profile load sends her to sign in, and her tokens are gone", alice, async () => {
      const { navigations, finalUrl } = await openRecording(alice, `${appA.url}/profile`);
      expect(navigations.some((hop) => hop.startsWith(`GET ${appA.url}/auth/signin`) || hop.includes('/oauth2/v2.0/authorize')), navigations.join('\n')).to.equal(true);
      expect(new URL(finalUrl).origin).to.equal(new URL(stack.stack.issuer).origin);
      expect(await alice.locator('input[name="password"]').count(), 'her provider session was revoked: password asked').to.equal(1);
      expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's tokens in app-a.db").to.equal(undefined);
    });

    await steps.run('alice signs in again and sees her profile', alice, async () => {
      await openProfileSigningIn(alice, appA, 'alice');
      expect(await alice.locator('dl.profile').innerText()).to.include('Alice Smith');
      expect(await tokenPartition(appA.sqlitePath, ALICE)).to.not.equal(undefined);
    });

    await steps.run('bob is untouched', bob, async () => {
      const { finalUrl } = await openRecording(bob, `${appA.url}/profile`);
      expect(finalUrl).to.equal(`${appA.url}/profile`);
      expect(await tokenPartition(appA.sqlitePath, BOB)).to.not.equal(undefined);
      expect(await sessionCount(appA.sqlitePath, BOB)).to.be.greaterThan(0);
    });
  });
});
