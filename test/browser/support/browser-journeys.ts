import type { Page, Request } from 'playwright-core';
import type { DevApp } from '../../../src/dev/start-dev-stack.ts';
export { waitUntil } from '../../support/wait-until.ts';

const PASSWORD = 'demo';

export interface SignIn {
  /** Provider pages the person saw and answered, in order: `login`, `consent`. */
  readonly providerPages: readonly string[];
  /** Every top-level request (redirects included), as `METHOD url`. */
  readonly navigations: readonly string[];
}

/** Records every top-level request of `page` (redirect hops included) until `stop` is called. */
function recordNavigations(page: Page): { navigations: string[]; stop(): void } {
  const navigations: string[] = [];
  const listener = (request: Request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigations.push(`${request.method()} ${request.url()}`);
  };
  page.on('request', listener);
  return { navigations, stop: () => page.off('request', listener) };
}

/** Clicks, then waits until the next top-level document has committed and loaded. */
async function clickAndSettle(page: Page, click: () => Promise<void>): Promise<void> {
  const committed = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() });
  await click();
  await committed;
  await page.waitForLoadState('load');
}

/**
 * Opens `app`'s `/profile` and does what a person would until the profile shows: types
 * `username` / `demo` into the provider's login form if it appears (throws if it appears and no
 * username was given), accepts the consent page if it appears.
 */
export async function openProfileSigningIn(page: Page, app: DevApp, username?: string): Promise<SignIn> {
  const target = `${app.url}/profile`;
  const providerPages: string[] = [];
  const recorder = recordNavigations(page);
  try {
    await page.goto(target);
    for (let turn = 0; turn < 6; turn++) {
      if (page.url() === target) {
        await page.getByRole('heading', { name: 'Your profile, from the API' }).waitFor();
        return { providerPages, navigations: recorder.navigations };
      }
      if (await page.locator('input[name="password"]').count()) {
        providerPages.push('login');
        if (!username) throw new Error(`asked for a password at ${page.url()}`);
        await page.getByLabel('Username').fill(username);
        await page.getByLabel('Password').fill(PASSWORD);
        await clickAndSettle(page, () => page.getByRole('button', { name: 'Sign in' }).click());
      } else if (await page.getByRole('button', { name: 'Accept' }).count()) {
        providerPages.push('consent');
        await clickAndSettle(page, () => page.getByRole('button', { name: 'Accept' }).click());
      } else {
        throw new Error(`opening ${target} stopped at ${page.url()}: ${(await page.locator('body').innerText()).slice(0, 500)}`);
      }
    }
    throw new Error(`no profile after 6 pages: ${recorder.navigations.join('\n')}`);
  } finally {
    recorder.stop();
  }
}

export interface SignOut {
  /** Whether the provider's "Sign out?" page waited for a click (it confirms itself when the app names the user). */
  readonly providerAskedToConfirm: boolean;
  /** Documents requested inside iframes during sign-out (the provider's front-channel iframes). */
  readonly frameRequests: readonly Request[];
}

/**
 * Clicks "Sign out" in the app's header, confirms at the provider if it asks, and waits until the
 * browser is back on the app's signed-out page (the provider's front-channel page moves on by
 * itself once its iframes have loaded).
 */
export async function signOutAt(page: Page, app: DevApp, providerOrigin: string): Promise<SignOut> {
  const frameRequests: Request[] = [];
  const onRequest = (request: Request) => {
    if (request.isNavigationRequest() && request.frame() !== page.mainFrame()) frameRequests.push(request);
  };
  page.on('request', onRequest);
  try {
    const confirmed = page.waitForRequest((request) =>
      request.method() === 'POST' && request.url().startsWith(providerOrigin) && new URL(request.url()).pathname.endsWith('/logout/confirm'));
    confirmed.catch(() => undefined);
    const formAnswer = page.waitForResponse((response) => response.request().method() === 'POST' && response.url() === `${app.url}/auth/signout`);
    await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
    const answer = await formAnswer;
    if (answer.status() < 300 || answer.status() >= 400) {
      const text = await answer.text().catch(() => '');
      throw new Error(`the app answered the sign-out form with ${answer.status()} instead of a redirect to the provider: ${text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)}`);
    }
    const confirmedByItself = await Promise.race([confirmed.then(() => true), delay(3000).then(() => false)]);
    if (!confirmedByItself) {
      await page.locator('form[id="op.logoutForm"]').getByRole('button', { name: 'Sign out' }).click();
      await confirmed;
    }
    await page.waitForURL(`${app.url}/auth/signed-out`, { waitUntil: 'load' });
    return { providerAskedToConfirm: !confirmedByItself, frameRequests };
  } finally {
    page.off('request', onRequest);
  }
}

/** Opens `url` and returns every top-level request it took (redirects included) and where it stopped. */
export async function openRecording(page: Page, url: string): Promise<{ navigations: readonly string[]; finalUrl: string }> {
  const recorder = recordNavigations(page);
  try {
    await page.goto(url);
    return { navigations: recorder.navigations, finalUrl: page.url() };
  } finally {
    recorder.stop();
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
