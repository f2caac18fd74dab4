import Router from '@koa/router';
import type Koa from 'koa';
import { IdentityProviderUnavailable, SignOutRejected } from '../../domain/errors.ts';
import type { Cradle } from '../container.ts';
import { FORM_REFUSED, fromThisSite, requireCsrf } from '../middleware/csrf.ts';
import { formBody } from '../middleware/form-body.ts';
import { errorHandler } from '../middleware/error-handler.ts';
import { UnknownSidLimiter } from '../middleware/unknown-sid-limiter.ts';
import { continueToProviderSignOut } from '../provider-sign-out.ts';
import { signedInSessionData } from '../session-data.ts';
import { redirectToSignIn, type SignInStart } from '../sign-in-redirect.ts';
import { allowFramingBy, noStore } from '../middleware/security-headers.ts';

/**
 * Everything about signing in and out:
 *   GET  /auth/signin                 start sign-in (returnTo = a path on this site)
 *   GET  /auth/redirect               the provider's answer (the redirect URI)
 *   POST /auth/signout                sign-out started here (CSRF-protected form)
 *   GET  /auth/signout/provider       retry of the provider part of a sign-out started here
 *   GET  /auth/signed-out             where the provider sends the browser back
 *   GET  /auth/signout/frontchannel   the Logout URL the provider loads in an iframe (no cookie needed)
 *   POST /auth/signout/backchannel    OpenID Connect Back-Channel Logout: a signed logout_token
 */
export function authRoutes(
  {
    config,
    signIn,
    signOutEverywhere,
    signOutAudit,
    identityProvider,
    logger,
    now,
    metrics,
  }: Pick<Cradle, 'config' | 'signIn' | 'signOutEverywhere' | 'signOutAudit' | 'identityProvider' | 'logger' | 'now' | 'metrics'>,
  signInStart: SignInStart,
): Router {
  const router = new Router({ prefix: '/auth' });
  const providerOrigin = new URL(config.authority).origin;

  router.get('/signin', async (ctx) => {
    await redirectToSignIn(ctx, signInStart, { returnTo: ctx.query.returnTo });
  });

  router.get('/redirect', async (ctx) => {
    noStore(ctx);
    // One attempt per pending sign-in, whatever happens next: the cookie is cleared here.
    const pending = signInStart.pendingSignIns.take(ctx);
    // A repeated parameter is refused, not read as absent: an absent iss would skip the issuer check
    // (RFC 9207), an absent error would let a code beside it through.
    const repeated = CALLBACK_PARAMETERS.find((name) => Array.isArray(ctx.query[name]));
    if (repeated) return ctx.throw(400, `The sign-in response has more than one ${repeated}.`);
    const { account, returnTo, interaction } = await signIn.complete(pending, {
      code: single(ctx.query.code),
      state: single(ctx.query.state),
      // Present but empty is not absent: an empty iss names no issuer, so not the provider (RFC 9207
      // §2.4); an empty error is still an error answer (RFC 6749 §4.1.2.1), never a success.
      iss: present(ctx.query.iss),
      error: present(ctx.query.error),
      error_description: single(ctx.query.error_description),
    });
    // The session starts here, and under a new id even when the browser had one (no fixation).
    const session = ctx.session!;
    Object.assign(session, signedInSessionData(account, now(), ctx.get('user-agent')));
    session.interactionAnswered = interaction ? { returnTo, at: now() } : undefined;
    // A whole idle lifetime for the new session: a session loaded in this request (signing in
    // again) set this request's to what its own absolute lifetime had left (session.ts).
    session.maxAge = config.sessionTtlMs;
    await session.regenerate();
    logger.info({ sid: account.sid !== undefined }, 'signed in');
    ctx.redirect(returnTo);
  });

  const publicOrigin = new URL(config.publicUrl).origin;
  router.post('/signout', formBody(), signedOutHereAlready(publicOrigin), requireCsrf(publicOrigin), async (ctx) => {
    noStore(ctx);
    const account = ctx.session!.account!;
    // The ID token for the provider's id_token_hint, before the sign-out removes it (the store only).
    const idTokenHint = await signOutEverywhere.idTokenHint(account);
    // Tokens next: if removing them fails (a 503), the session stays and the user can try again.
    // The provider comes after: the local sign-out never waits on it.
    const context = { requestId: ctx.state.requestId, subject: account.subject };
    await signOutAudit.around('app', context, () => signOutEverywhere.fromApp(account, ctx.state.storedSessionId));
    ctx.session = null;
    await continueToProviderSignOut(ctx, { config, signOutEverywhere, logger }, account, idTokenHint);
  });

  router.get('/signout/provider', async (ctx) => {
    noStore(ctx);
    try {
      // No account any more (the sign-out here is done): no id_token_hint.
      const endSessionUrl = await identityProvider.endSessionUrl({ postLogoutRedirectUri: config.postLogoutRedirectUri });
      ctx.redirect(endSessionUrl ?? '/auth/signed-out');
    } catch (error) {
      if (!(error instanceof IdentityProviderUnavailable)) throw error;
      ctx.status = 503;
      await ctx.render('signed-out-of-app-only', { account: undefined });
    }
  });

  router.get('/signed-out', async (ctx) => {
    noStore(ctx);
    await ctx.render('signed-out', { account: undefined });
  });

  const unknownSids = new UnknownSidLimiter();
  router.get('/signout/frontchannel', async (ctx) => {
    noStore(ctx);
    allowFramingBy(ctx, providerOrigin);
    if (Array.isArray(ctx.query.sid)) return ctx.throw(400, 'The sign-out request has more than one sid.');
    const sid = single(ctx.query.sid);
    if (!sid) return ctx.throw(400, 'The sign-out request has no sid.');
    if (sid.length > MAX_SID_LENGTH) return ctx.throw(400, 'The sign-out request has a sid longer than any provider sends.');
    // A repeated iss is refused, not read as absent: absent would skip the issuer check.
    if (Array.isArray(ctx.query.iss)) return ctx.throw(400, 'The sign-out request has more than one iss.');
    const iss = single(ctx.query.iss);
    if (iss === undefined && config.frontChannelRequiresIss) return ctx.throw(400, 'The sign-out request has no iss.');
    const mayJournal = !unknownSids.exhausted(ctx.ip);
    const { outcome } = await signOutAudit.around('front-channel', { requestId: ctx.state.requestId }, () =>
      signOutEverywhere.fromFrontChannel({ sid, iss }, { mayJournal }),
    );
    if (outcome === 'nothing-held' || outcome === 'journaled') {
      const { allowed, retryAfterSeconds } = unknownSids.recordMiss(ctx.ip);
      // A journaled sign-out was accepted: it is answered as such, and only counted.
      if (!allowed && outcome === 'nothing-held') {
        ctx.set('Retry-After', String(retryAfterSeconds));
        return ctx.throw(429, 'Too many sign-out requests for unknown sessions from this address. Please wait a minute.');
      }
    }
    ctx.type = 'text/plain';
    ctx.body = 'signed out';
  });

  router.post('/signout/backchannel', errorHandler(logger, { answer: 'json' }), formBody(), async (ctx) => {
    noStore(ctx);
    const token = (ctx.request as { body?: Record<string, unknown> }).body?.logout_token;
    if (Array.isArray(token)) {
      metrics.logoutTokenRefused('malformed');
      throw new SignOutRejected('The request has more than one logout_token.', { reason: 'malformed' });
    }
    if (typeof token !== 'string' || !token) {
      metrics.logoutTokenRefused('missing');
      throw new SignOutRejected('The request has no logout_token.', { reason: 'missing' });
    }
    // Journaled (the store is down): accepted, and carried out once it answers; the provider needs no retry.
    await signOutAudit
      .around('back-channel', { requestId: ctx.state.requestId }, () => signOutEverywhere.fromBackChannel(token))
      .catch((error: unknown) => {
        // A refused token is not a failed sign-out: it names the rule it broke (signature, iss, replayed, ...).
        if (error instanceof SignOutRejected) metrics.logoutTokenRefused(error.reason ?? 'invalid');
        throw error;
      });
    ctx.status = 200;
  });

  return router;
}

/** The parameters of an authorization response the app reads (RFC 6749 §4.1.2, RFC 9207). */
const CALLBACK_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description'] as const;

/**
 * Longer than any provider's session id (Entra's is a GUID, others' are 20-50 characters): refused
 * before it reaches the store or, during an outage, the journal.
 */
const MAX_SID_LENGTH = 255;

/** A query parameter sent once, even empty; `undefined` when absent (the callback refuses repeated ones first). */
function present(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A query parameter sent once; repeated parameters are refused as absent. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * "Sign out" pressed after the session ended (it expired, or was ended from another device): there
 * is no CSRF token left to check it against and nothing here to sign out, but the user still asked
 * to be signed out, and on a shared computer the provider's session would sign the next person in.
 * So the provider's session is ended too, as `GET /auth/signout/provider` does: without an
 * `id_token_hint`, so the provider asks the user to confirm, and a forged POST gets nothing that
 * link does not. A browser-sent foreign `Origin` is still refused.
 */
function signedOutHereAlready(publicOrigin: string): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.session?.account) return next();
    if (!fromThisSite(ctx, publicOrigin)) ctx.throw(403, FORM_REFUSED);
    noStore(ctx);
    ctx.session = null;
    ctx.redirect('/auth/signout/provider');
  };
}
