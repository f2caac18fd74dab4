import Router from '@koa/router';
import type { Cradle } from '../container.ts';
import { cookiePolicy } from '../cookie-policy.ts';
import { csrfToken, requireCsrf, whenSignedOut } from '../middleware/csrf.ts';
import { offerOnRefusal } from '../middleware/error-handler.ts';
import { ExpiringKeys } from '../expiring-keys.ts';
import { formBody } from '../middleware/form-body.ts';
import { noStore } from '../middleware/security-headers.ts';
import { note, takeNotice } from '../notice-cookies.ts';
import { continueToProviderSignOut, signedOutHereAlready } from '../provider-sign-out.ts';
import { SessionHandles } from '../session-handles.ts';
import { signInLocation } from '../sign-in-redirect.ts';
import { yourSessions } from '../your-sessions.ts';

/** How long the same "Sign out this session" sent again is answered as done (it ended). */
const RESUBMIT_WINDOW_MS = 60_000;

/**
 * "Your sessions": every session of the signed-in user in this app, and ending them.
 *   GET  /sessions              the list (device, signed in, last active, which one is this one)
 *   POST /sessions/end          ends one other session (`session` = its handle); the tokens stay
 *   POST /sessions/everywhere   ends every session and removes the tokens, then the provider's sign-out
 * Both POSTs are CSRF-protected forms. A handle is only looked up among the user's own sessions.
 * "Sign out everywhere" posted once the session has ended goes on to the provider's sign-out.
 */
export function sessionsRoutes({
  config,
  sessionStore,
  signOutEverywhere,
  signOutAudit,
  logger,
  now,
  signOutJournal,
}: Pick<Cradle, 'config' | 'sessionStore' | 'signOutEverywhere' | 'signOutAudit' | 'logger' | 'now' | 'signOutJournal'>): Router {
  const sessionHandles = new SessionHandles(config.sessionKeys);
  const sessions = { sessionStore, sessionHandles, now, rules: { config, now, signOutJournal } };
  const router = new Router({ prefix: '/sessions' });
  const publicOrigin = new URL(config.publicUrl).origin;
  const cookies = cookiePolicy(config);
  // Which session each viewer ended from this instance lately, by handle, and which they are ending
  // now: the same form sent again is answered as done (or waits for the first to be).
  const endedHere = new ExpiringKeys(now, 1_000);
  const ending = new Map<string, Promise<unknown>>();

  router.get('/', async (ctx) => {
    noStore(ctx);
    const account = ctx.session?.account;
    if (!account) return ctx.redirect(signInLocation('/sessions'));
    const { rows } = await yourSessions(sessions, account, ctx.state.storedSessionId);
    const ended = takeNotice(ctx, cookies, 'sessionEnded');
    await ctx.render('sessions', { account, rows, ended, csrfToken: csrfToken(ctx) });
  });

  // Pressed after this browser's own session ended: nothing of this browser's is left to end; the
  // user is sent to sign in and back to the sessions page.
  const signedOutAlready = whenSignedOut(publicOrigin, (ctx) => {
    ctx.status = 303;
    ctx.redirect(signInLocation('/sessions'));
  });

  router.post('/end', formBody(), signedOutAlready, offerOnRefusal('sessions-page'), requireCsrf(publicOrigin), async (ctx) => {
    noStore(ctx);
    const account = ctx.session!.account!; // requireCsrf let through a signed-in session only
    const handle = (ctx.request as { body?: Record<string, unknown> }).body?.session;
    if (!SessionHandles.isWellFormed(handle)) return ctx.throw(400, 'The form does not name a session.');
    const current = ctx.state.storedSessionId;
    const sessionId = (await yourSessions(sessions, account, current)).idOf(handle);
    // The same form sent again (a double click: the second POST leaves before the first answer, and
    // may arrive while the first is still ending the session, or after): answered as the first.
    const endedBy = `${current}\n${handle}`;
    const inFlight = ending.get(endedBy);
    if (inFlight) await inFlight;
    else if (!endedHere.has(endedBy)) {
      if (sessionId === undefined) return ctx.throw(404, 'That session is not one of yours, or it has already ended. Reload your sessions page.');
      if (sessionId === current) return ctx.throw(400, 'That is the session you are using now: use "Sign out" to end it.');
      const context = { requestId: ctx.state.requestId, subject: account.subject };
      const work = signOutAudit.around('sessions-page', context, () => signOutEverywhere.endOneSession(account, sessionId));
      ending.set(endedBy, work);
      try {
        await work;
        endedHere.add(endedBy, now() + RESUBMIT_WINDOW_MS);
      } finally {
        ending.delete(endedBy);
      }
    }
    note(ctx, cookies, 'sessionEnded');
    ctx.status = 303;
    ctx.redirect('/sessions');
  });

  // Pressed again after the session ended (the first press went through, or it expired): on to
  // the provider's sign-out, as "Sign out" is, rather than a 403 for a form whose session is gone.
  router.post('/everywhere', formBody(), signedOutHereAlready(publicOrigin), offerOnRefusal('sessions-page'), requireCsrf(publicOrigin), async (ctx) => {
    noStore(ctx);
    const account = ctx.session!.account!;
    // The ID token for the provider's id_token_hint, before the sign-out removes it (the store only).
    const idTokenHint = await signOutEverywhere.idTokenHint(account);
    const context = { requestId: ctx.state.requestId, subject: account.subject };
    await signOutAudit.around('sessions-page', context, () => signOutEverywhere.everywhere(account, ctx.state.storedSessionId));
    ctx.session = null;
    await continueToProviderSignOut(ctx, { config, cookies, signOutEverywhere, logger }, account, idTokenHint);
  });

  return router;
}
