import type Koa from 'koa';
import { cookiesSettable, sessionCookieFlags, type CookiePolicy } from './cookie-policy.ts';
import { clearUnverifiedSignature } from './unverified-signature-cookie.ts';

/**
 * Front-Channel Logout 1.0 §2: the RP "clears state associated with the logged-in session,
 * including any cookies". The session cookie is SameSite=Lax, so a browser neither sends it to nor
 * takes it from a cross-site frame (Entra's iframe): then there is nothing here to clear, and the
 * session itself was found by its `sid`. When the request does carry it (a provider on the same
 * site, the Logout URL loaded as a page), and the session it names is not one the app serves (this
 * sign-out ended it, it had ended before, or it is still stored but past its lifetime or unreadable:
 * `sessionServed`, the session middleware's own rule), the cookie and its signature are expired.
 * The cookie of a session that lives on (another `sid`'s) is kept.
 */
export async function clearEndedSessionCookie(
  ctx: Koa.Context,
  cookies: CookiePolicy,
  sessionServed: (id: string) => Promise<boolean>,
): Promise<void> {
  // A Secure cookie is neither sent nor set over plain http.
  if (!cookiesSettable(cookies, ctx)) return;
  const sessionId = ctx.cookies.get(cookies.sessionCookieName, { signed: true });
  clearUnverifiedSignature(ctx, cookies);
  if (!sessionId) return;
  try {
    if (await sessionServed(sessionId)) return;
  } catch {
    return; // the store is down: the sign-out was journaled, and the session is refused meanwhile
  }
  ctx.cookies.set(cookies.sessionCookieName, null, { ...sessionCookieFlags(cookies), overwrite: true });
}
