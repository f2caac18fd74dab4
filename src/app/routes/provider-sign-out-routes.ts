import Router from '@koa/router';
import { SignOutRejected } from '../../domain/errors.ts';
import type { Cradle } from '../container.ts';
import { cookiePolicy } from '../cookie-policy.ts';
import { clearEndedSessionCookie } from '../ended-session-cookie.ts';
import { errorHandler } from '../middleware/error-handler.ts';
import { formBody } from '../middleware/form-body.ts';
import { allowFramingBy, noStore } from '../middleware/security-headers.ts';
import { UnknownSidLimiter } from '../middleware/unknown-sid-limiter.ts';
import { MAX_SID_LENGTH } from '../../domain/provider-session-id.ts';
import { present, single } from './query-parameters.ts';

/**
 * Sign-outs the provider starts (single sign-out), for sessions found server-side:
 *   GET  /auth/signout/frontchannel   the Logout URL the provider loads in an iframe (no cookie needed)
 *   POST /auth/signout/backchannel    OpenID Connect Back-Channel Logout: a signed logout_token
 * Neither needs this request's session, so they are answered before the session is loaded: a
 * store that cannot load one (a Redis outage) must not turn a sign-out the journal would accept
 * into a 503, as it did for a front-channel request that came with the user's cookie.
 */
export function providerSignOutRoutes({
  config,
  signOutEverywhere,
  signOutAudit,
  logger,
  metrics,
  providerOrigins,
  recentSids,
  sessionServed,
}: Pick<Cradle, 'config' | 'signOutEverywhere' | 'signOutAudit' | 'logger' | 'metrics' | 'providerOrigins' | 'recentSids' | 'sessionServed'>): Router {
  const router = new Router({ prefix: '/auth' });
  const cookies = cookiePolicy(config);

  const unknownSids = new UnknownSidLimiter();
  router.get('/signout/frontchannel', async (ctx) => {
    noStore(ctx);
    allowFramingBy(ctx, providerOrigins());
    if (Array.isArray(ctx.query.sid)) return ctx.throw(400, 'The sign-out request has more than one sid.');
    const sid = single(ctx.query.sid);
    if (!sid) return ctx.throw(400, 'The sign-out request has no sid.');
    if (sid.length > MAX_SID_LENGTH) return ctx.throw(400, 'The sign-out request has a sid longer than any provider sends.');
    // A repeated iss is refused, not read as absent: absent would skip the issuer check.
    if (Array.isArray(ctx.query.iss)) return ctx.throw(400, 'The sign-out request has more than one iss.');
    // Present but empty is not absent: an empty iss names no issuer, so not the provider's.
    const iss = present(ctx.query.iss);
    if (iss === undefined && config.frontChannelRequiresIss) return ctx.throw(400, 'The sign-out request has no iss.');
    // A sid of a session this instance served came from a verified ID token: during an outage
    // it is treated like a sid that ends a session, neither refused nor counted for the address.
    const known = recentSids.has(sid);
    const mayJournal = known || !unknownSids.exhausted(ctx.ip);
    const { outcome } = await signOutAudit.around('front-channel', { requestId: ctx.state.requestId }, () =>
      signOutEverywhere.fromFrontChannel({ sid, iss }, { mayJournal }),
    );
    if (outcome === 'nothing-held' || (outcome === 'journaled' && !known)) {
      const { allowed, retryAfterSeconds } = unknownSids.recordMiss(ctx.ip);
      // A journaled sign-out was accepted: it is answered as such, and only counted.
      if (!allowed && outcome === 'nothing-held') {
        ctx.set('Retry-After', String(retryAfterSeconds));
        return ctx.throw(429, 'Too many sign-out requests for unknown sessions from this address. Please wait a minute.');
      }
    }
    await clearEndedSessionCookie(ctx, cookies, sessionServed);
    ctx.type = 'text/plain';
    ctx.body = 'signed out';
  });

  router.post('/signout/backchannel', errorHandler(logger, { answer: 'json' }), formBody(), async (ctx) => {
    noStore(ctx);
    // The form's parameters as sent (URLSearchParams), not the parser's nested reading of them
    // (qs): `logout_token[x]` or `logout_token.x` are other parameters, ignored as §2.5 asks for
    // values not understood, never a second logout_token.
    const { rawBody } = ctx.request as { rawBody?: unknown };
    const tokens = typeof rawBody === 'string' ? new URLSearchParams(rawBody).getAll('logout_token') : [];
    if (tokens.length > 1) {
      metrics.logoutTokenRefused('malformed');
      throw new SignOutRejected('The request has more than one logout_token.', { reason: 'malformed' });
    }
    const token = tokens[0];
    if (!token) {
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
