import { expect } from 'chai';
import type { DevApp } from '../../../src/dev/start-dev-stack.ts';
import type { Page, ScriptedBrowser } from '../../support/scripted-browser.ts';

export interface Hop {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

export interface Journey {
  /** Where the browser stopped: the first answer that is neither a redirect nor a provider page it knows how to answer. */
  readonly page: Page;
  /** Every request, in order. */
  readonly hops: readonly Hop[];
  /** The provider pages a person would have seen and answered, e.g. `['login', 'consent']`. */
  readonly providerPages: readonly string[];
}

export interface HtmlForm {
  readonly id: string | undefined;
  readonly action: string;
  readonly hidden: Record<string, string>;
}

export const unescapeHtml = (text: string) =>
  text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&').replace(/&quot;/g, '"');

const attribute = (tag: string, name: string) => {
  const value = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  return value === undefined ? undefined : unescapeHtml(value);
};

/** The POST forms of a page, with their hidden fields. */
export function postForms(html: string): HtmlForm[] {
  return [...html.matchAll(/(<form\b[^>]*>)([\s\S]*?)<\/form>/g)]
    .filter(([, tag]) => /method="post"/i.test(tag!))
    .map(([, tag, content]) => {
      const hidden: Record<string, string> = {};
      for (const [input] of content!.matchAll(/<input\b[^>]*>/g)) {
        const name = attribute(input, 'name');
        if (attribute(input, 'type') === 'hidden' && name) hidden[name] = attribute(input, 'value') ?? '';
      }
      return { id: attribute(tag!, 'id'), action: attribute(tag!, 'action') ?? '', hidden };
    });
}

/** The `src` of every iframe on a page. */
export function iframeSources(html: string): string[] {
  return [...html.matchAll(/<iframe\b[^>]*\ssrc="([^"]+)"/g)].map(([, src]) => unescapeHtml(src!));
}

/**
 * Plays a person in a browser from `url`: follows redirects, signs in on the dev provider's login
 * page as `username` (password `demo`) and accepts its consent page, until an answer needs
 * nothing more from them.
 */
export async function browse(browser: ScriptedBrowser, url: string, options: { username?: string } = {}): Promise<Journey> {
  const hops: Hop[] = [];
  const providerPages: string[] = [];
  const record = (method: string, page: Page) => {
    hops.push({ method, url: page.url, status: page.status });
    return page;
  };
  let page = record('GET', await browser.get(url));
  for (let step = 0; step < 20; step++) {
    if (page.redirectUrl) {
      page = record('GET', await browser.get(page.redirectUrl));
    } else if (page.text.includes('name="password"')) {
      if (!options.username) throw new Error(`asked to sign in at ${page.url}, with no user to sign in as`);
      providerPages.push('login');
      const [login] = postForms(page.text);
      page = record('POST', await browser.post(new URL(login!.action, page.url).href, { username: options.username, password: 'demo' }));
      if (!page.redirectUrl) throw new Error(`sign-in as ${options.username} failed: ${page.status} ${page.text.slice(0, 500)}`);
    } else if (page.text.includes('asks for your permission')) {
      providerPages.push('consent');
      const [consent] = postForms(page.text);
      page = record('POST', await browser.post(new URL(consent!.action, page.url).href, {}));
    } else {
      return { page, hops, providerPages };
    }
  }
  throw new Error(`still being redirected after 20 steps: ${hops.map((hop) => `${hop.method} ${hop.url}`).join('\n')}`);
}

/** Signs `username` in to `app` starting from its profile page; throws unless the profile shows. */
export async function signInToProfile(browser: ScriptedBrowser, app: DevApp, username: string): Promise<Journey> {
  const journey = await browse(browser, `${app.url}/profile`, { username });
  const { page } = journey;
  if (page.status !== 200 || page.url !== `${app.url}/profile`) {
    throw new Error(`signing ${username} in to ${app.url} ended at ${page.status} ${page.url}: ${page.text.slice(0, 800)}`);
  }
  return journey;
}

export interface SignOutFromApp {
  /** The app's answer to the sign-out form. */
  readonly formAnswer: Page;
  /** The provider's "Sign out?" page. */
  readonly confirmPage: Page;
  /** The provider's answer to confirming: the front-channel page with its iframes. */
  readonly frontChannelPage: Page;
  readonly frames: readonly string[];
  /** Where the front-channel page continues when its iframes have loaded (or after its timeout). */
  readonly continueUrl: string;
}

/**
 * Clicks "Sign out" on `page` (an app page with the sign-out form), follows the app's redirect to
 * the provider's end-session endpoint and confirms there, stopping at the provider's front-channel
 * page, before its iframes load.
 */
export async function signOutFromApp(browser: ScriptedBrowser, app: DevApp, page: Page): Promise<SignOutFromApp> {
  const form = postForms(page.text).find((candidate) => candidate.action === '/auth/signout');
  if (!form) throw new Error(`no sign-out form on ${page.url}`);
  const formAnswer = await browser.post(`${app.url}/auth/signout`, form.hidden, { headers: { origin: app.url } });
  if (!formAnswer.redirectUrl) throw new Error(`sign-out answered ${formAnswer.status}: ${formAnswer.text.slice(0, 500)}`);
  const confirmPage = await browser.get(formAnswer.redirectUrl);
  const confirm = postForms(confirmPage.text).find((candidate) => candidate.id === 'op.logoutForm');
  if (confirmPage.status !== 200 || !confirm) throw new Error(`no sign-out confirmation at ${confirmPage.url}: ${confirmPage.status} ${confirmPage.text.slice(0, 500)}`);
  const frontChannelPage = await browser.post(new URL(confirm.action, confirmPage.url).href, confirm.hidden);
  const continueHref = /id="continue" href="([^"]+)"/.exec(frontChannelPage.text)?.[1];
  if (frontChannelPage.status !== 200 || !continueHref) {
    throw new Error(`no front-channel sign-out page after confirming: ${frontChannelPage.status} ${frontChannelPage.redirectUrl ?? frontChannelPage.text.slice(0, 500)}`);
  }
  return { formAnswer, confirmPage, frontChannelPage, frames: iframeSources(frontChannelPage.text), continueUrl: new URL(unescapeHtml(continueHref), frontChannelPage.url).href };
}

/** A page of the app that a signed-out browser asks for: sent to sign in, and back to the profile after. */
export function expectRedirectToSignIn(page: Page, app: { url: string }): void {
  expect(page.status, page.text.slice(0, 300)).to.equal(302);
  expect(page.redirectUrl).to.equal(`${app.url}/auth/signin?returnTo=%2Fprofile`);
}
