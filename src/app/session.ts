import type Koa from 'koa';
import createSession from 'koa-session';
import type { SessionIndex, SessionStore } from '../ports/session-store.port.ts';
import type { SignOutJournal } from '../ports/sign-out-journal.port.ts';
import type { TokenStore } from '../ports/token-store.port.ts';
import type { Config } from './config.ts';
import { sessionCookieFlags, type CookiePolicy } from './cookie-policy.ts';
import { clearUnverifiedSignature } from './unverified-signature-cookie.ts';
import type { RecentSids } from './recent-sids.ts';
import { InsecureTransport, isInsecureCookieError } from './secure-transport.ts';
import { absoluteLifetimeLeftMs, currentSessionData, type AppSessionData } from './session-data.ts';
import { storedSession } from './stored-session.ts';

/** The part of koa-session's Session object this app uses (koa-session 7 does not type `ctx.session`). */
interface KoaSession {
  /** Saves the data under a new session id, destroys the old one and sets the new cookie. */
  regenerate(): Promise<void>;
  /** This request's idle lifetime (ms), for the cookie and the store; a loaded session sets it. */
  maxAge: number | 'session' | undefined;
}

declare module 'koa' {
  interface ExtendableContext {
    /** Empty for a visitor who has not signed in (and then never stored). */
    session: (KoaSession & Partial<AppSessionData>) | null;
  }
}

export interface SessionDeps {
  readonly config: Pick<Config, 'sessionTtlMs' | 'sessionAbsoluteTtlMs' | 'tokenTtlSeconds'>;
  readonly cookies: CookiePolicy;
  readonly sessionStore: SessionStore;
  /** Each session written keeps its account's tokens for as long as it lives. */
  readonly tokenStore: Pick<TokenStore, 'keepUntil'>;
  readonly now: () => number;
  /** Sign-outs accepted during a store outage and not yet applied: their sessions are not served. */
  readonly signOutJournal?: SignOutJournal;
  /** Where the `sid` of each session served or written is noted, for the journal. */
  readonly recentSids?: Pick<RecentSids, 'note'>;
}

/**
 * koa-session with its data in the SessionStore port. The store indexes each session by the
 * account's provider session id (`sid`) and subject, which is how a sign-out from the provider
 * finds the sessions without the user's cookie.
 *
 * Only signed-in sessions are stored: a session is created at sign-in (`regenerate`) and every
 * later write of it is conditional (`update`), so a sign-out that ended it meanwhile — on this
 * instance or another — wins. It ends when idle for `sessionTtlMs` (extended once half of it has
 * passed) and at the latest `sessionAbsoluteTtlMs` after sign-in.
 *
 * Every write of a session also keeps the account's token partition until the session's new
 * expiry (never beyond TOKEN_TTL_SECONDS from now), so a partition ends with the last session that
 * can use it: a sign-in's write gives it no longer than its session (tokenPartitionTtlSeconds in
 * config.ts), and a refresh does not extend it. Without this, tokens outlived their sessions by up
 * to 90 days, where no sign-out from the provider could find them: it finds tokens through live
 * sessions.
 */
export function sessionMiddleware(app: Koa, { config, cookies, sessionStore, tokenStore, now, signOutJournal, recentSids }: SessionDeps): Koa.Middleware {
  const tokenTtlMs = config.tokenTtlSeconds * 1000;
  const rules = { config, now, signOutJournal };
  // Requests whose session a sign-out ended while they ran: their answer must not set its cookie.
  const endedMeanwhile = new WeakSet<Koa.Context>();
  const session = createSession(
    {
      key: cookies.sessionCookieName,
      maxAge: config.sessionTtlMs,
      renew: true,
      ...sessionCookieFlags(cookies),
      store: {
        get: async (id: string, _maxAge: unknown, options: unknown) => {
          const stored = await sessionStore.get(id);
          if (!stored) return undefined;
          const session = storedSession(stored, rules);
          if (session.kind === 'ended') await sessionStore.destroy(id); // a signed-out visitor
          if (session.kind !== 'served') return undefined;
          contextOf(options).state.storedSessionId = id;
          recentSids?.note(session.data.account.sid);
          return session.stored;
        },
        // koa-session calls `set` once in `regenerate()` and again when the request ends, for the
        // same new id, because its change check still compares with the data loaded before
        // (https://github.com/koajs/session/blob/v7.0.2/src/context.ts#L212-L282, `commit` and
        // `_shouldSaveSession`). Only the first write of an id this request created may create
        // it; any other write only updates a session that still exists.
        set: async (id: string, stored: Record<string, unknown>, maxAge: unknown, options: unknown) => {
          if (typeof maxAge !== 'number') throw new Error('sessions need a numeric maxAge');
          const data = currentSessionData(stored);
          if (!data) return; // nothing is kept for a visitor who has not signed in
          const lifetimeLeft = absoluteLifetimeLeftMs(data, now(), config.sessionAbsoluteTtlMs);
          if (lifetimeLeft <= 0) {
            endedMeanwhile.add(contextOf(options)); // its lifetime ran out during the request
            await sessionStore.destroy(id);
            return;
          }
          const ttl = Math.min(maxAge, lifetimeLeft);
          const state = contextOf(options).state;
          if (state.storedSessionId === id) {
            if (!(await sessionStore.update(id, stored, indexOf(data), ttl))) {
              endedMeanwhile.add(contextOf(options)); // ended meanwhile: not written back
              return;
            }
          } else {
            await sessionStore.set(id, stored, indexOf(data), ttl);
            state.storedSessionId = id;
            recentSids?.note(data.account.sid); // a sign-in (a session loaded was noted by `get`)
          }
          await tokenStore.keepUntil(data.account.accountId, now() + Math.min(ttl, tokenTtlMs));
        },
        destroy: async (id: string) => {
          await sessionStore.destroy(id);
        },
      },
    },
    app,
  );
  // What the error page reads to tell a refusal answered with the session loaded from one answered
  // before it (error-handler.ts).
  const loaded = (ctx: Koa.Context, next: Koa.Next) => {
    ctx.state.sessionLoaded = true;
    return next();
  };
  return async (ctx, next) => {
    try {
      await session(ctx, () => loaded(ctx, next));
    } catch (error) {
      if (cookies.https && !ctx.secure && isInsecureCookieError(error)) throw new InsecureTransport({ cause: error });
      throw error;
    } finally {
      // koa-session sets the cookie of a session it saved whatever the store did with the write
      // (`save` in https://github.com/koajs/session/blob/v7.0.2/src/context.ts). For a session that
      // ended meanwhile, that cookie could arrive after the one a new sign-in in the same browser set
      // (a slow page in another tab), replace it, and sign the user out of the new session.
      if (endedMeanwhile.has(ctx)) dropSetCookie(ctx, [cookies.sessionCookieName, `${cookies.sessionCookieName}.sig`]);
      else clearUnverifiedSignature(ctx, cookies);
    }
  };
}

/** Takes the `Set-Cookie` lines for the cookies `names` off the answer; others stay. */
function dropSetCookie(ctx: Koa.Context, names: readonly string[]): void {
  const lines = ctx.response.get('Set-Cookie');
  if (!Array.isArray(lines)) return;
  const kept = lines.filter((line) => !names.includes(line.slice(0, line.indexOf('='))));
  if (kept.length === 0) ctx.remove('Set-Cookie');
  else ctx.set('Set-Cookie', kept);
}

/** koa-session passes `{ ctx, ... }` as the store methods' last argument. */
function contextOf(options: unknown): Koa.Context {
  return (options as { ctx: Koa.Context }).ctx;
}

function indexOf({ account, signedInAt }: AppSessionData): SessionIndex {
  return { sid: account.sid, subject: account.subject, accountId: account.accountId, signedInAt };
}
