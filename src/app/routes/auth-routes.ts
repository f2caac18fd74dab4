import Router from '@koa/router';
import type Koa from 'koa';
import type { SignedInAccount } from '../../domain/account.ts';
import { sameSitePath } from '../../domain/return-to.ts';
import { IdentityProviderUnavailable, SignInAgainWithClaims, SignInFailed } from '../../domain/errors.ts';
import { loggedProviderText } from '../../domain/provider-words.ts';
import type { Cradle } from '../container.ts';
import { cookiePolicy } from '../cookie-policy.ts';
import { httpAnswerOf } from '../http-errors.ts';
import type { Logger } from '../observability/logger.ts';
import { csrfToken, requireCsrf } from '../middleware/csrf.ts';
import { offerOnRefusal } from '../middleware/error-handler.ts';
import { formBody } from '../middleware/form-body.ts';
import { continueToProviderSignOut, signedOutHereAlready } from '../provider-sign-out.ts';
import { signedInSessionData } from '../session-data.ts';
import { isNoted, takeNotice } from '../notice-cookies.ts';
import { redirectToSignIn, type SignInStart } from '../sign-in-redirect.ts';
import { noStore } from '../middleware/security-headers.ts';
import { present, single } from './query-parameters.ts';

/**
 * Everything about signing in and out:
 *   GET  /auth/signin                 start sign-in (returnTo = a path on this site)
 *   GET  /auth/redirect               the provider's answer (the redirect URI)
 *   GET  /auth/signout                a page asking to confirm, with the form (a typed or bookmarked link)
 *   POST /auth/signout                sign-out started here (CSRF-protected form)
 *   GET  /auth/signout/provider       retry of the provider part of a sign-out started here
 *   GET  /auth/signed-out             where the provider sends the browser back
 * Sign-outs the provider starts are provider-sign-out-routes.ts: they need no session.
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
    providerDiscovery,
  }: Pick<Cradle, 'config' | 'signIn' | 'signOutEverywhere' | 'signOutAudit' | 'identityProvider' | 'logger' | 'now' | 'providerDiscovery'>,
  signInStart: SignInStart,
): Router {
  const router = new Router({ prefix: '/auth' });
  const noteRefusal = refusalNotes(logger);
  const cookies = cookiePolicy(config);

  router.get('/signin', offerOnRefusal('sign-in'), async (ctx) => {
    // `prompt=login`: sign in as another account than the one the provider's own session holds
    // (the link of a refused sign-in's page, which would otherwise be refused again at once).
    const { prompt } = ctx.query;
    // Failing, the page's "Sign in again" leads back to the same page, when it is one to go to.
    ctx.state.signInReturnTo = sameSitePath(ctx.query.returnTo);
    ctx.state.signInForAnotherAccount = prompt === 'login';
    if (Array.isArray(prompt)) return ctx.throw(400, 'The sign-in link has more than one prompt.');
    if (prompt !== undefined && prompt !== 'login') return ctx.throw(400, 'The sign-in link asks for a prompt other than login.');
    await redirectToSignIn(ctx, signInStart, { returnTo: ctx.query.returnTo, ...(prompt ? { prompt } : {}) });
  });

  router.get('/redirect', offerOnRefusal('sign-in'), async (ctx) => {
    noStore(ctx);
    // One attempt per pending sign-in, whatever happens next: the cookie of the sign-in this `state`
    // names is cleared here (the browser's other sign-ins in progress stay).
    const pending = signInStart.pendingSignIns.take(ctx, single(ctx.query.state));
    // A sign-in refused, cancelled or failed below offers to sign in again: back to the page it was
    // for, and as another account again when it was started as one.
    if (pending) {
      ctx.state.signInReturnTo = pending.returnTo;
      ctx.state.signInForAnotherAccount = pending.prompt === 'login';
    }
    // A repeated parameter is refused, not read as absent: an absent iss would skip the issuer check
    // (RFC 9207), an absent error would let a code beside it through.
    const repeated = CALLBACK_PARAMETERS.find((name) => Array.isArray(ctx.query[name]));
    if (repeated) return ctx.throw(400, `The sign-in response has more than one ${repeated}.`);
    const completed = await signIn
      .complete(pending, {
        code: single(ctx.query.code),
        state: single(ctx.query.state),
        // Present but empty is not absent: an empty iss names no issuer, so not the provider (RFC 9207
        // §2.4); an empty error is still an error answer (RFC 6749 §4.1.2.1), never a success.
        iss: present(ctx.query.iss),
        error: present(ctx.query.error),
        error_description: single(ctx.query.error_description),
      })
      .catch((error: unknown) => {
        if (error instanceof SignInAgainWithClaims) return error;
        noteRefusal(error);
        throw error;
      });
    if (completed instanceof SignInAgainWithClaims) {
      logger.info({ reason: completed.message }, 'sign-in started again with the claims the provider asked for');
      return redirectToSignIn(ctx, signInStart, { ...completed.retry, claimsRetry: true });
    }
    const { account, returnTo, interaction } = completed;
    const session = ctx.session!;
    const replaced = session.account?.accountId !== account.accountId ? replacedSession(ctx) : undefined;
    if (replaced) {
      // Another account was signed in here: it leaves this browser, as by its own "Sign out". First,
      // so that a store failing below leaves neither its session nor, unused, its tokens.
      const context = { requestId: ctx.state.requestId, subject: replaced.account.subject };
      await signOutAudit
        .around('app', context, () => signOutEverywhere.replacedBySignIn(replaced.account, replaced.id))
        // Recorded as `failed`; the sign-in goes on, and tokens left end with that session's expiry.
        .catch((error: unknown) => logger.warn({ err: error }, 'the account signed in before could not be signed out'));
    }
    // The session starts here, and under a new id even when the browser had one (no fixation).
    Object.assign(session, signedInSessionData(account, now(), ctx.get('user-agent')));
    session.interactionAnswered = interaction ? { returnTo, at: now() } : undefined;
    // A whole idle lifetime for the new session, within its absolute one: a session loaded in this
    // request (signing in again) set this request's to what its own absolute lifetime had left.
    session.maxAge = Math.min(config.sessionTtlMs, config.sessionAbsoluteTtlMs);
    try {
      await session.regenerate();
    } catch (error) {
      // Not signed in (the store failed, or the cookie could not be set): the error page must not
      // show the account just put in the session, nor the request's end save it. The tokens the
      // sign-in stored go too: no session names them, so no sign-out could ever find them.
      ctx.session = null;
      await signOutEverywhere
        // The session this request last stored or loaded: the new one if its write got that far,
        // else the one it replaced (ended by the sign-in already, or to be ended with it).
        .signInAbandoned(account, ctx.state.storedSessionId)
        .then((result) => result.partitionRemoved && logger.info({ revocation: result.revocation }, 'the tokens of a sign-in whose session could not be stored were removed'))
        .catch((removal: unknown) => logger.warn({ err: removal }, 'the tokens of a sign-in whose session could not be stored could not be removed: they stay until the partition expires'));
      throw error;
    }
    // The provider may have signed this provider session out while the code was redeemed: that
    // sign-out could not find the session, written only now. It is ended here instead.
    if (await signedOutMeanwhile(account)) {
      // Not signed in, whatever happens next: the request's end destroys the session again.
      ctx.session = null;
      const ended = await signOutEverywhere.signInAbandoned(account, ctx.state.storedSessionId);
      logger.info({ partitionRemoved: ended.partitionRemoved, revocation: ended.revocation }, 'signed in to a provider session the provider had signed out meanwhile: ended');
      return ctx.redirect('/auth/signed-out');
    }
    // Notes of an earlier session in this browser, never read (its provider round trip abandoned, its
    // sessions page left unloaded), would tell this session's pages of what it did not do.
    takeNotice(ctx, cookies, 'tokensRemoved');
    takeNotice(ctx, cookies, 'sessionEnded');
    logger.info({ sid: account.sid !== undefined }, 'signed in');
    ctx.redirect(returnTo);
  });

  /** Whether the provider signed out the provider session of the sign-in just stored, while it completed. */
  async function signedOutMeanwhile(account: SignedInAccount): Promise<boolean> {
    try {
      return await signOutEverywhere.providerSignedOutMeanwhile(account);
    } catch (error) {
      // The store failed after the session was written: the sign-in stands, as it would have a moment earlier.
      logger.warn({ err: error }, 'could not check whether the provider signed this sign-in out meanwhile');
      return false;
    }
  }

  const publicOrigin = new URL(config.publicUrl).origin;
  router.post('/signout', formBody(), signedOutHereAlready(publicOrigin), offerOnRefusal('sign-out'), requireCsrf(publicOrigin), async (ctx) => {
    noStore(ctx);
    const account = ctx.session!.account!;
    // The ID token for the provider's id_token_hint, before the sign-out removes it (the store only).
    const idTokenHint = await signOutEverywhere.idTokenHint(account);
    // Tokens next: if removing them fails (a 503), the session stays and the user can try again.
    // The provider comes after: the local sign-out never waits on it.
    const context = { requestId: ctx.state.requestId, subject: account.subject };
    await signOutAudit.around('app', context, () => signOutEverywhere.fromApp(account, ctx.state.storedSessionId));
    ctx.session = null;
    await continueToProviderSignOut(ctx, { config, cookies, signOutEverywhere, logger }, account, idTokenHint);
  });

  // A sign-out is a POST with the session's CSRF token; a GET (a typed or bookmarked link) changes
  // nothing here, and gets the form to press rather than a 405. With no session, it goes where the
  // POST then goes (provider-sign-out.ts, signedOutHereAlready): the provider's sign-out, which
  // asks the user to confirm (no id_token_hint), so that a shared computer is not left signed in there.
  router.get('/signout', async (ctx) => {
    noStore(ctx);
    const account = ctx.session?.account;
    if (!account) return ctx.redirect('/auth/signout/provider');
    await ctx.render('sign-out', { account, csrfToken: csrfToken(ctx) });
  });

  router.get('/signout/provider', async (ctx) => {
    noStore(ctx);
    try {
      // No account any more (the sign-out here is done): no id_token_hint.
      const endSessionUrl = await identityProvider.endSessionUrl({ postLogoutRedirectUri: config.postLogoutRedirectUri });
      ctx.redirect(endSessionUrl ?? '/auth/signed-out');
    } catch (error) {
      if (!(error instanceof IdentityProviderUnavailable)) throw error;
      ctx.status = httpAnswerOf(error).status;
      // Logged, and the page names the request, as every 5xx: it is answered here, not by errorHandler.
      logger.warn({ err: error }, 'the provider session was not ended: the sign-in service could not be reached');
      // A browser still signed in here (this link ends only the provider's session) is told so;
      // one whose sign-out here removed its tokens (a retry that failed again), that they are gone.
      const account = ctx.session?.account;
      const tokensRemoved = !account && isNoted(ctx, cookies, 'tokensRemoved');
      await ctx.render('signed-out-of-app-only', { account, tokensRemoved, csrfToken: account ? csrfToken(ctx) : undefined, requestId: ctx.state.requestId });
    }
  });

  router.get('/signed-out', async (ctx) => {
    noStore(ctx);
    // Anyone can load this page, and a visitor still signed in here gets here too: after
    // `/auth/signout/provider`, which ends only the provider's session, or from a provider that did
    // not tell this app of its sign-out. The page must not tell them their session here has ended.
    const account = ctx.session?.account;
    const tokensRemoved = takeNotice(ctx, cookies, 'tokensRemoved');
    // A provider with no end-session endpoint (Google; an Auth0 tenant without OIDC logout) was
    // never asked to end its session: the next sign-in there, this app's or another's, asks for no
    // password. The page says so rather than leave a shared computer's user thinking all is over.
    const providerSessionKept = providerDiscovery.held !== undefined && !providerDiscovery.held.end_session_endpoint;
    await ctx.render('signed-out', { account, tokensRemoved, providerSessionKept, csrfToken: account ? csrfToken(ctx) : undefined });
  });

  return router;
}

/** The session this request loaded and its account, if it had one (the sign-in then replaces it). */
function replacedSession(ctx: Koa.Context): { id: string; account: SignedInAccount } | undefined {
  const id = ctx.state.storedSessionId;
  const account = ctx.session?.account;
  return id !== undefined && account ? { id, account } : undefined;
}

/** The parameters of an authorization response the app reads (RFC 6749 §4.1.2, RFC 9207). */
const CALLBACK_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description'] as const;

/**
 * Refusals that say the app's own request is wrong (RFC 6749 §4.1.2.1, §5.2): its registration,
 * API_SCOPES or client secret, which no user can fix by trying again.
 */
const SET_UP_ERRORS = new Set(['invalid_request', 'unauthorized_client', 'invalid_client', 'invalid_scope', 'unsupported_response_type']);
/** The longest description logged: enough for an AADSTS code and its sentence. */
const MAX_DESCRIPTION = 300;
const WARN_EVERY_MS = 60_000;

/**
 * A provider's refusal of the app's own request still answers the user with a 400 page, as every
 * provider refusal does, but is also logged at warn with the provider's own words (its
 * `error_description`, e.g. an AADSTS code), which the page never shows: the 4xx the error handler
 * logs at debug would leave the operator nothing to go on. Anyone holding a fresh `state` can send
 * such a callback, so the words are cut short and stripped of control characters, each error is
 * logged at most once a minute, and the line says where it was heard (`heardFrom`): an
 * authorization response's words may be anyone's; the token endpoint's are the provider's.
 */
function refusalNotes(logger: Pick<Logger, 'warn'>): (error: unknown) => void {
  const lastWarnedAt = new Map<string, number>();
  return (error) => {
    if (!(error instanceof SignInFailed) || !SET_UP_ERRORS.has(error.providerError)) return;
    const now = Date.now();
    if (now - (lastWarnedAt.get(error.providerError) ?? -Infinity) < WARN_EVERY_MS) return;
    lastWarnedAt.set(error.providerError, now);
    const providerDescription = error.providerDescription === undefined ? undefined : loggedProviderText(error.providerDescription, MAX_DESCRIPTION);
    logger.warn({ providerError: error.providerError, providerDescription, heardFrom: error.heardFrom }, 'the provider refused the sign-in: check the app registration and API_SCOPES');
  };
}
