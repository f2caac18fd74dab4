import type Koa from 'koa';
import { cookiesSettable, unsignedCookieFlags, type CookiePolicy } from './cookie-policy.ts';

/** Long enough for the provider's end-session round trip, confirmation page included. */
const NOTICE_LIFETIME_MS = 10 * 60 * 1000;

/**
 * "The tokens this app held for you have been removed" is said on `/auth/signed-out` only to the
 * browser whose sign-out here removed them. Other browsers land there too (one whose session was
 * ended from another device, or expired; a visitor), and their account's tokens may live on with its
 * other sessions. A short-lived cookie set by the sign-out carries the fact through the provider's
 * end-session round trip (SameSite=Lax: it comes back on the provider's top-level redirect); it
 * says only that, and is cleared when read. Unsigned: a signature would be a second cookie (`.sig`)
 * for a note that can only change one sentence.
 */
export function noteTokensRemoved(ctx: Koa.Context, cookies: CookiePolicy): void {
  ctx.cookies.set(cookies.signedOutNoticeCookieName, '1', { ...unsignedCookieFlags(cookies), maxAge: NOTICE_LIFETIME_MS });
}

/** Whether this browser's sign-out here removed its tokens (noteTokensRemoved); the note is kept, for the page the sign-out ends on. */
export function tokensRemovedNoted(ctx: Koa.Context, cookies: CookiePolicy): boolean {
  return ctx.cookies.get(cookies.signedOutNoticeCookieName) === '1';
}

/** Whether this browser's sign-out here removed its tokens (noteTokensRemoved); the note is cleared. */
export function takeTokensRemovedNotice(ctx: Koa.Context, cookies: CookiePolicy): boolean {
  const noted = tokensRemovedNoted(ctx, cookies);
  // Where it cannot be cleared (a Secure cookie over what looks like http), it expires.
  if (noted && cookiesSettable(cookies, ctx)) ctx.cookies.set(cookies.signedOutNoticeCookieName, null, unsignedCookieFlags(cookies));
  return noted;
}
