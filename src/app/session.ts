import type Koa from 'koa';
import createSession from 'koa-session';
import type { SignedInAccount } from '../domain/account.ts';
import type { PendingSignIn } from '../domain/sign-in.ts';
import type { SessionIndex, SessionStore } from '../ports/session-store.port.ts';
import type { Config } from './config.ts';

/** What this app keeps in a browser session (server-side; the cookie holds only the id). */
export interface AppSessionData {
  account?: SignedInAccount;
  pendingSignIn?: PendingSignIn;
  csrfToken?: string;
}

/** The part of koa-session's Session object this app uses (koa-session 7 does not type `ctx.session`). */
interface KoaSession {
  /** Saves the data under a new session id, destroys the old one and sets the new cookie. */
  regenerate(): Promise<void>;
}

declare module 'koa' {
  interface ExtendableContext {
    session: (KoaSession & AppSessionData) | null;
  }
}

/**
 * koa-session with its data in the SessionStore port. The store indexes each session by the
 * account's provider session id (`sid`) and subject, which is how a sign-out from the provider
 * finds the sessions without the user's cookie.
 */
export function sessionMiddleware(app: Koa, config: Config, sessionStore: SessionStore): Koa.Middleware {
  return createSession(
    {
      key: config.sessionCookieName,
      maxAge: config.sessionTtlMs,
      // An active user's session is extended once half its lifetime has passed; an idle one expires.
      renew: true,
      httpOnly: true,
      // Lax: the cookie must come along on the top-level GET back from the provider.
      sameSite: 'lax',
      secure: new URL(config.publicUrl).protocol === 'https:',
      signed: true,
      store: {
        get: async (id: string, _maxAge: unknown, options: unknown) => {
          const data = await sessionStore.get(id);
          if (data) contextOf(options).state.loadedSessionId = id;
          return data;
        },
        // A session this request loaded is only updated, never re-created: a sign-out that ended
        // it while the request ran (front- or back-channel) must win. New ids (a new visitor, the
        // id rotated at sign-in) are created.
        set: async (id: string, data: Record<string, unknown>, maxAge: unknown, options: unknown) => {
          const index = indexOf(data as AppSessionData);
          if (typeof maxAge !== 'number') throw new Error('sessions need a numeric maxAge');
          if (contextOf(options).state.loadedSessionId === id) await sessionStore.update(id, data, index, maxAge);
          else await sessionStore.set(id, data, index, maxAge);
        },
        destroy: (id: string) => sessionStore.destroy(id),
      },
    },
    app,
  );
}

/** koa-session passes `{ ctx, ... }` as the store methods' last argument. */
function contextOf(options: unknown): Koa.Context {
  return (options as { ctx: Koa.Context }).ctx;
}

function indexOf(data: AppSessionData): SessionIndex {
  const account = data.account;
  if (!account) return {};
  return { sid: account.sid, subject: account.subject, accountId: account.accountId };
}
