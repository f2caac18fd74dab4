import type Koa from 'koa';
import { cookiesSettable, unsignedCookieFlags, type CookiePolicy } from './cookie-policy.ts';

/**
 * One-sentence notes a browser carries from what it did to the page that reports it, each in a
 * short-lived cookie of its own holding only `1`, cleared when that page reads it. Unsigned: a
 * signature would be a second cookie (`.sig`) for a note that can only change one sentence.
 *
 * - `tokensRemoved`: "The tokens this app held for you have been removed" is said on
 *   `/auth/signed-out` only to the browser whose sign-out here removed them. Other browsers land
 *   there too (one whose session was ended from another device, or expired; a visitor), and their
 *   account's tokens may live on with its other sessions. Set by the sign-out, it lives through the
 *   provider's end-session round trip, confirmation page included (SameSite=Lax: it comes back on
 *   the provider's top-level redirect).
 * - `sessionEnded`: "That session is signed out here" is said on `/sessions` once, to the browser
 *   that ended it there: a reload, a bookmark or a link to the page says nothing of the kind.
 */
const NOTICES = {
  tokensRemoved: { cookieName: (cookies: CookiePolicy) => cookies.signedOutNoticeCookieName, lifetimeMs: 10 * 60 * 1000 },
  sessionEnded: { cookieName: (cookies: CookiePolicy) => cookies.sessionEndedNoticeCookieName, lifetimeMs: 60 * 1000 },
} as const;

export type Notice = keyof typeof NOTICES;

/**
 * Notes `notice` for this browser's next page that reads it. Not where cookies cannot be set (a
 * Secure cookie over what looks like http, which the `cookies` package refuses with a throw): a
 * note only changes a sentence, and the work it reports is done by then.
 */
export function note(ctx: Koa.Context, cookies: CookiePolicy, notice: Notice): void {
  if (!cookiesSettable(cookies, ctx)) return;
  const { cookieName, lifetimeMs } = NOTICES[notice];
  ctx.cookies.set(cookieName(cookies), '1', { ...unsignedCookieFlags(cookies), maxAge: lifetimeMs });
}

/** Whether this browser carries `notice`; the note is kept (for the page its action ends on). */
export function isNoted(ctx: Koa.Context, cookies: CookiePolicy, notice: Notice): boolean {
  return ctx.cookies.get(NOTICES[notice].cookieName(cookies)) === '1';
}

/** Whether this browser carries `notice`; the note is cleared. */
export function takeNotice(ctx: Koa.Context, cookies: CookiePolicy, notice: Notice): boolean {
  const noted = isNoted(ctx, cookies, notice);
  // Where it cannot be cleared (a Secure cookie over what looks like http), it expires.
  if (noted && cookiesSettable(cookies, ctx)) ctx.cookies.set(NOTICES[notice].cookieName(cookies), null, unsignedCookieFlags(cookies));
  return noted;
}
