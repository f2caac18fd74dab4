import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { sessionCount, tokenPartition } from '../e2e/support/app-database.ts';
import { accountIdOf } from '../e2e/support/test-stack.ts';
import { openProfileSigningIn, waitUntil } from './support/browser-journeys.ts';
import { startBrowserStack, type BrowserStack } from './support/browser-stack.ts';
import { launchChromium } from './support/chromium.ts';
import { Steps } from './support/steps.ts';

/**
 * "Your sessions" in a real browser (headless Chromium) against the offline dev stack: alice is
 * signed in to app A on two devices (two browser contexts, no shared cookies), sees both, ends the
 * other one from her laptop, then signs out everywhere. Bob, in a third context, is untouched.
 */
describe('"Your sessions" in a browser: alice ends her other device, then signs out everywhere', function () {
  this.timeout(90_000);
  const ALICE = accountIdOf('alice');
  const BOB = accountIdOf('bob');
  const steps = new Steps('your-sessions');
  let stack: BrowserStack;
  let browser: Browser;
  let laptop: Page;
  let phone: Page;
  let bob: Page;

  before(async () => {
    await steps.reset();
    stack = await startBrowserStack(['front-channel', 'front-channel']);
    browser = await launchChromium(stack.certPem);
    const open = async () => {
      const context = await browser.newContext();
      context.setDefaultTimeout(15_000);
      return { context, page: await context.newPage() };
    };
    laptop = (await open()).page;
    phone = (await open()).page;
    bob = (await open()).page;
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** Where app A's profile sends this browser, without following: 200 (signed in) or a redirect to sign in. */
  async function profileAnswer(page: Page): Promise<{ status: number; location?: string }> {
    const response = await page.context().request.get(`${stack.appA.url}/profile`, { maxRedirects: 0 });
    return { status: response.status(), location: response.headers().location };
  }

  async function sessionRows(page: Page): Promise<string[]> {
    await page.goto(`${stack.appA.url}/sessions`);
    return page.locator('table.sessions tbody tr').allInnerTexts();
  }

  async function expectBobUntouched(): Promise<void> {
    expect(await profileAnswer(bob), "bob's profile").to.deep.include({ status: 200 });
    expect(await tokenPartition(stack.appA.sqlitePath, BOB), "bob's tokens").to.not.equal(undefined);
    expect(await sessionCount(stack.appA.sqlitePath, BOB), "bob's session").to.equal(1);
  }

  it('lists both devices, ends the other one, keeps this one calling the API, and signs out everywhere', async () => {
    const { appA } = stack;

    await steps.run('alice signs in on her laptop and her phone, bob on his computer', laptop, async () => {
      await openProfileSigningIn(laptop, appA, 'alice');
      await openProfileSigningIn(phone, appA, 'alice');
      await openProfileSigningIn(bob, appA, 'bob');
      expect(await sessionCount(appA.sqlitePath, ALICE)).to.equal(2);
    });

    await steps.run('her sessions page lists both, this browser marked', laptop, async () => {
      await laptop.locator('header').getByRole('link', { name: 'Your sessions' }).click();
      await laptop.waitForURL(`${appA.url}/sessions`);
      const rows = await laptop.locator('table.sessions tbody tr').allInnerTexts();
      expect(rows, rows.join('\n')).to.have.length(2);
      expect(rows[0]).to.match(/Chrome \d+ on Linux\s+This browser/);
      expect(rows[1]).to.match(/Chrome \d+ on Linux/).and.not.match(/This browser/);
      const cookies = await laptop.context().cookies(appA.url);
      const html = await laptop.content();
      for (const cookie of cookies) expect(html, `the ${cookie.name} cookie's value`).to.not.contain(cookie.value);
    });

    await steps.run('she signs the phone out from her laptop', laptop, async () => {
      await laptop.locator('table.sessions tbody tr').nth(1).getByRole('button', { name: /^Sign out this session: .+ on .+, signed in .+ UTC$/ }).click();
      // The same address as before the click: wait for the page that says the session ended.
      await laptop.locator('.notice').waitFor();
      expect(laptop.url()).to.equal(`${appA.url}/sessions`);
      expect(await laptop.locator('table.sessions tbody tr').count()).to.equal(1);
      expect(await laptop.locator('.notice').innerText()).to.contain('That session is signed out');
    });

    await steps.run('the phone is signed out of the app; the laptop still calls the API', laptop, async () => {
      const onPhone = await profileAnswer(phone);
      expect(onPhone.status).to.equal(302);
      expect(onPhone.location).to.match(/^\/auth\/signin/);
      await laptop.goto(`${appA.url}/profile`);
      expect(await laptop.locator('dl.profile').innerText()).to.include('Alice Smith');
      expect(await tokenPartition(appA.sqlitePath, ALICE), 'her tokens stay for the laptop').to.not.equal(undefined);
      await expectBobUntouched();
    });

    await steps.run('the phone signs in again (single sign-on), so both devices are signed in', phone, async () => {
      await openProfileSigningIn(phone, appA);
      expect(await sessionRows(laptop)).to.have.length(2);
    });

    await steps.run('"Sign out everywhere" on the laptop ends both and signs her out at the provider', laptop, async () => {
      await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();
      // The provider confirms by itself (the app names the user), runs its front-channel iframes, and returns.
      await laptop.waitForURL(`${appA.url}/auth/signed-out`, { waitUntil: 'load', timeout: 20_000 });
      expect(await laptop.locator('h1').innerText()).to.equal('You are signed out');
      for (const page of [laptop, phone]) {
        const answer = await profileAnswer(page);
        expect(answer.status).to.equal(302);
        expect(answer.location).to.match(/^\/auth\/signin/);
      }
      await waitUntil(async () => await sessionCount(appA.sqlitePath, ALICE) === 0, 5000, "alice's sessions are not all gone");
      expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's tokens").to.equal(undefined);
    });

    await steps.run('bob is untouched', bob, async () => {
      await expectBobUntouched();
      await bob.goto(`${appA.url}/profile`);
      expect(await bob.locator('dl.profile').innerText()).to.include('Bob Jones');
    });
  });
});
