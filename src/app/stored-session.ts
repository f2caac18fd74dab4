import type { SessionStore } from '../ports/session-store.port.ts';
import type { SignOutJournal } from '../ports/sign-out-journal.port.ts';
import type { Config } from './config.ts';
import { absoluteLifetimeLeftMs, currentSessionData, type AppSessionData } from './session-data.ts';

/** The lifetimes in force now, and the sign-outs not yet applied: what decides whether a stored session is served. */
export interface SessionRules {
  readonly config: Pick<Config, 'sessionTtlMs' | 'sessionAbsoluteTtlMs'>;
  readonly now: () => number;
  /** Sign-outs accepted during a store outage and not yet applied: their sessions are not served. */
  readonly signOutJournal?: Pick<SignOutJournal, 'names'> | undefined;
}

/**
 * What becomes of a stored session: `served` (with the lifetimes in force now), `ended` (past its
 * absolute lifetime, idle longer than the idle lifetime in force, or written by an earlier version:
 * the store may destroy it), or `journaled` (signed out from the provider while the store was
 * down: not served, though still stored until the journal is applied, which destroys it). The
 * session middleware and the sessions page both ask this, so the page lists exactly the sessions
 * the app would serve.
 */
export type StoredSession =
  | { readonly kind: 'served'; readonly data: AppSessionData; readonly stored: Record<string, unknown> }
  | { readonly kind: 'ended' }
  | { readonly kind: 'journaled' };

export function storedSession(stored: Record<string, unknown>, { config, now, signOutJournal }: SessionRules): StoredSession {
  const data = currentSessionData(stored);
  if (!data) return { kind: 'ended' };
  const absoluteLeftMs = absoluteLifetimeLeftMs(data, now(), config.sessionAbsoluteTtlMs);
  if (absoluteLeftMs <= 0) return { kind: 'ended' };
  if (signOutJournal?.names({ ...data.account, signedInAt: data.signedInAt })) return { kind: 'journaled' };
  const current = withLifetimeInForce(stored, config.sessionTtlMs, absoluteLeftMs);
  return current ? { kind: 'served', data, stored: current } : { kind: 'ended' };
}

/**
 * Whether the stored session `id` is one the app serves now (`storedSession`): what counts as a
 * device using an account's tokens. A session idle past a lowered SESSION_TTL_SECONDS is still
 * stored, and found by the indexes, until the expiry it was written with.
 */
export function servedSession(sessionStore: Pick<SessionStore, 'get'>, rules: SessionRules): (id: string) => Promise<boolean> {
  return async (id) => {
    const stored = await sessionStore.get(id);
    return stored !== undefined && storedSession(stored, rules).kind === 'served';
  };
}

/**
 * `stored` with the lifetimes in force now, or `undefined` if it has been idle longer than
 * `idleTtlMs` since it was last written. koa-session makes a loaded session's stored `_maxAge` the
 * request's maxAge, for the cookie and the store alike
 * (https://github.com/koajs/session/blob/v7.0.2/src/session.ts, the constructor), so a session
 * written under an earlier SESSION_TTL_SECONDS kept that one until its absolute end, and a cookie
 * saved in the last hours of the absolute lifetime outlived it by up to an idle lifetime. Now the
 * idle end is `idleTtlMs` after the last write (never later than written), and the maxAge and
 * expiry koa-session goes on with never reach past the absolute end, `absoluteLeftMs` from now.
 * (`_expire` is koa-session's, on its own clock, `Date.now`.)
 */
function withLifetimeInForce(stored: Record<string, unknown>, idleTtlMs: number, absoluteLeftMs: number): Record<string, unknown> | undefined {
  const { _maxAge: storedMaxAge, _expire: storedExpire } = stored;
  if (typeof storedMaxAge !== 'number' || typeof storedExpire !== 'number') return stored;
  const idleEnd = Math.min(storedExpire, storedExpire - storedMaxAge + idleTtlMs); // last written + idle TTL
  if (idleEnd <= Date.now()) return undefined;
  const maxAge = Math.min(idleTtlMs, absoluteLeftMs);
  const expire = absoluteLeftMs < idleTtlMs ? Math.min(idleEnd, Date.now() + absoluteLeftMs) : idleEnd;
  return storedMaxAge === maxAge && storedExpire === expire ? stored : { ...stored, _maxAge: maxAge, _expire: expire };
}
