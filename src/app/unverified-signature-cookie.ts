import type Koa from 'koa';
import { cookiesSettable, unsignedCookieFlags, type CookiePolicy } from './cookie-policy.ts';

/**
 * A session cookie whose signature does not verify (tampered with, or signed with a key no longer
 * configured) has its `.sig` cookie cleared by the `cookies` package itself, with only `Path=/`
 * (and `Secure` over https): no `SameSite` or `HttpOnly` (`Cookies.prototype.get`,
 * https://github.com/pillarjs/cookies/blob/0.9.2/index.js). Cleared again here with the flags
 * every other cookie of the app carries, in place of that line. Called once the session cookie has
 * been read (by koa-session, or by the front-channel Logout URL).
 */
export function clearUnverifiedSignature(ctx: Koa.Context, cookies: CookiePolicy): void {
  const name = `${cookies.sessionCookieName}.sig`;
  // One header, not `ctx.response.headers`: that copies them all (res.getHeaders()), on every request.
  const lines = ctx.response.get('Set-Cookie');
  if (!Array.isArray(lines) || !lines.some((line) => line.startsWith(`${name}=;`) && !/;\s*samesite=/i.test(line))) return;
  if (!cookiesSettable(cookies, ctx)) return;
  ctx.cookies.set(name, null, unsignedCookieFlags(cookies));
}
