import Router from '@koa/router';
import type Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { IdentityProviderUnavailable, SignOutRejected } from '../../domain/errors.ts';
import type { Cradle } from '../container.ts';
import { requireCsrf } from '../middleware/csrf.ts';
import { UnknownSidLimiter } from '../middleware/unknown-sid-limiter.ts';
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
  { config, signIn, signOutEverywhere, identityProvider, tokenStore, logger, now, recordSignOut, metrics }: Cradle,
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
    const { account, returnTo } = await signIn.complete(pending, {
      code: single(ctx.query.code),
      state: single(ctx.query.state),
      error: single(ctx.query.error),
      error_description: single(ctx.query.error_description),
    });
    // The session starts here, and under a new id even when the browser had one (no fixation).
    const session = ctx.session!;
    Object.assign(session, signedInSessionData(account, now()));
    await session.regenerate();
    logger.info({ sid: account.sid !== undefined }, 'signed in');
    ctx.redirect(returnTo);
  });

  const signOutHere = async (ctx: Koa.Context) => {
    noStore(ctx);
    const account = ctx.session?.account;
    let endSessionUrl: string | undefined;
    try {
      // Tokens first: if removing them fails (a 503), the session stays and the user can try again.
      if (account) ({ endSessionUrl } = await signOutEverywhere.fromApp(account, config.postLogoutRedirectUri));
    } catch (error) {
      // The provider could not be reached (typically for its end-session URL, on an instance that
      // has not loaded discovery yet). If the tokens are gone — checked, not assumed — the app
      // part of the sign-out is done: end the session, say so, and offer to retry the rest.
      if (!(error instanceof IdentityProviderUnavailable) || !account || (await tokenStore.read(account.accountId)) !== undefined) {
        throw error;
      }
      ctx.session = null;
      recordSignOut('app', 'removed');
      logger.warn({ err: error }, 'signed out of the app; the provider session was not ended');
      return ctx.render('signed-out-of-app-only', { account: undefined });
    }
    recordSignOut('app', account ? 'removed' : 'nothing-held');
    ctx.session = null;
    ctx.redirect(endSessionUrl ?? '/auth/signed-out');
  };
  router.post('/signout', bodyParser({ enableTypes: ['form'] }), requireCsrf(new URL(config.publicUrl).origin), async (ctx) => {
    try {
      await signOutHere(ctx);
    } catch (error) {
      recordSignOut('app', 'failed');
      throw error;
    }
  });

  router.get('/signout/provider', async (ctx) => {
    noStore(ctx);
    try {
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
    const sid = single(ctx.query.sid);
    if (!sid) return ctx.throw(400, 'The sign-out request has no sid.');
    // A repeated iss is refused, not read as absent: absent would skip the issuer check.
    if (Array.isArray(ctx.query.iss)) return ctx.throw(400, 'The sign-out request has more than one iss.');
    const iss = single(ctx.query.iss);
    if (iss === undefined && config.frontChannelRequiresIss) return ctx.throw(400, 'The sign-out request has no iss.');
    const { sessionsEnded, journaled } = await signOutEverywhere.fromFrontChannel({ sid, iss }).catch((error: unknown) => {
      if (!(error instanceof SignOutRejected)) recordSignOut('front-channel', 'failed');
      throw error;
    });
    const outcome = journaled ? 'journaled' : sessionsEnded > 0 ? 'removed' : 'nothing-held';
    recordSignOut('front-channel', outcome);
    logger.info({ sessionsEnded, outcome }, 'front-channel sign-out');
    if (sessionsEnded === 0 && !journaled) {
      const { allowed, retryAfterSeconds } = unknownSids.recordMiss(ctx.ip);
      if (!allowed) {
        ctx.set('Retry-After', String(retryAfterSeconds));
        return ctx.throw(429, 'Too many sign-out requests for unknown sessions from this address. Please wait a minute.');
      }
    }
    ctx.type = 'text/plain';
    ctx.body = 'signed out';
  });

  router.post('/signout/backchannel', bodyParser({ enableTypes: ['form'] }), async (ctx) => {
    noStore(ctx);
    ctx.state.answerInJson = true;
    const token = (ctx.request as { body?: Record<string, unknown> }).body?.logout_token;
    if (typeof token !== 'string' || !token) {
      metrics.logoutTokenRefused('missing');
      throw new SignOutRejected('The request has no logout_token.', { reason: 'missing' });
    }
    const { sessionsEnded, journaled } = await signOutEverywhere.fromBackChannel(token).catch((error: unknown) => {
      // A refused token is not a failed sign-out: it names the rule it broke (signature, iss, replayed, ...).
      if (error instanceof SignOutRejected) metrics.logoutTokenRefused(error.reason ?? 'invalid');
      else recordSignOut('back-channel', 'failed');
      throw error;
    });
    // Journaled (the store is down): accepted, and carried out once it answers; the provider needs no retry.
    const outcome = journaled ? 'journaled' : sessionsEnded > 0 ? 'removed' : 'nothing-held';
    recordSignOut('back-channel', outcome);
    logger.info({ sessionsEnded, outcome }, 'back-channel sign-out');
    ctx.status = 200;
  });

  return router;
}

/** A query parameter sent once; repeated parameters are refused as absent. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
