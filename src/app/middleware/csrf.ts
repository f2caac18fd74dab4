import { timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { noStore } from './security-headers.ts';

/**
 * The session's CSRF token for forms. It is made at sign-in (session-data.ts), not on first use:
 * two pages loaded at once would each make one, and the last write would expire the other's form.
 */
export function csrfToken(ctx: Koa.Context): string {
  const token = ctx.session?.csrfToken;
  if (!token) throw new Error('a CSRF token is asked for outside a signed-in session');
  return token;
}

/**
 * Guards a state-changing POST: the form's `_csrf` must equal the session's token (synchronizer
 * token), and a browser-sent `Origin` must be this app's.
 */
export function requireCsrf(publicOrigin: string): Koa.Middleware {
  return async (ctx, next) => {
    const sent = (ctx.request as { body?: Record<string, unknown> }).body?._csrf;
    const expected = ctx.session?.csrfToken;
    if (!fromThisSite(ctx, publicOrigin) || typeof sent !== 'string' || !expected || !sameText(sent, expected)) {
      ctx.throw(403, FORM_REFUSED);
    }
    await next();
  };
}

/**
 * A form of a signed-in page sent once the session has ended (it expired, or was ended from
 * another device): there is no CSRF token left to check, and `answer` says what such a form leads
 * to instead of a 403 for an expired form; a browser-sent foreign `Origin` is still refused. Goes
 * before `requireCsrf`, which then sees signed-in sessions only.
 */
export function whenSignedOut(publicOrigin: string, answer: (ctx: Koa.Context) => void): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.session?.account) return next();
    if (!fromThisSite(ctx, publicOrigin)) return ctx.throw(403, FORM_REFUSED);
    noStore(ctx);
    answer(ctx);
  };
}

export const FORM_REFUSED = 'This form has expired or did not come from this site. Please go back, reload and try again.';

/** Whether a browser-sent `Origin` is this app's (a request without one, as from an old browser, passes). */
export function fromThisSite(ctx: Koa.Context, publicOrigin: string): boolean {
  const origin = ctx.get('origin');
  return !origin || origin === publicOrigin;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
