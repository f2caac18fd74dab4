import type Koa from 'koa';

/** How coarse "last active" is: a session's activity is written at most once per this interval. */
export const ACTIVITY_RESOLUTION_MS = 5 * 60_000;

/**
 * Keeps `lastActiveAt` of a signed-in session for the sessions page. Recording every request would
 * turn every page load into a session write (one more SQLite write or Redis script per request);
 * recording it when it is at least 5 minutes old costs one write per session per 5 minutes, and
 * koa-session makes that write only because the data changed. It looks only at a session the
 * request loaded anyway (`state.storedSessionId`, set by session.ts), after the route ran, so a
 * session the route ended stays ended. (koa-session loads an external store's session on every
 * request it sees, which is why health checks and the stylesheet are answered before it.)
 * Must run inside the session middleware.
 */
export function sessionActivity(now: () => number): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.state.storedSessionId === undefined) return;
    const session = ctx.session;
    if (!session?.account || typeof session.signedInAt !== 'number') return;
    const at = now();
    if (at - (session.lastActiveAt ?? session.signedInAt) >= ACTIVITY_RESOLUTION_MS) session.lastActiveAt = at;
  };
}
