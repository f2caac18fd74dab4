import type Koa from 'koa';
import { sameSitePath } from '../domain/return-to.ts';
import type { BeginSignIn, SignIn } from '../domain/sign-in.ts';
import { noStore } from './middleware/security-headers.ts';
import type { PendingSignInCookie } from './pending-sign-in-cookie.ts';

/** What starting a sign-in needs: the use case, and where the browser keeps the pending sign-in. */
export interface SignInStart {
  readonly signIn: SignIn;
  readonly pendingSignIns: PendingSignInCookie;
}

/** Starts a sign-in and sends the browser to the provider; the browser's cookie remembers it, not the server. */
export async function redirectToSignIn(ctx: Koa.Context, start: SignInStart, request: BeginSignIn): Promise<void> {
  const { authorizationUrl, pending } = await start.signIn.begin(request);
  // The authorization request's `state` names the browser's cookie for this sign-in; the callback
  // brings it back (RFC 6749 §4.1.2).
  const state = new URL(authorizationUrl).searchParams.get('state');
  if (!state) throw new Error('the authorization request carries no state');
  start.pendingSignIns.write(ctx, pending, state);
  noStore(ctx);
  ctx.redirect(authorizationUrl);
}

/**
 * The page a request asked for, as a path and query: its target as sent (`originalUrl`), or, for a
 * target in absolute form (`GET http://host/profile`, which a server must accept: RFC 9112
 * §3.2.2), the path and query Koa routed it by; the host it names is not kept. Read whole, such a
 * target was refused as off-site, and the sign-in returned home.
 */
export function pageAskedBy(ctx: Koa.Context): string {
  const target = ctx.originalUrl;
  return target.startsWith('/') ? target : `${ctx.path}${ctx.search}`;
}

/** Where to send a visitor who is not signed in, to come back to `pageAsked` afterwards (returnPathFor). */
export function signInLocation(pageAsked: string): string {
  return `/auth/signin?returnTo=${encodeURIComponent(returnPathFor(pageAsked))}`;
}

/**
 * Where a sign-in the app starts itself should end: the page asked for (pageAskedBy), or home
 * when the sign-in would refuse that page as a destination (longer than 2,048 characters once encoded, say).
 */
export function returnPathFor(pageAsked: string): string {
  return sameSitePath(pageAsked) ?? '/';
}
