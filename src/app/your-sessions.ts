import type { SignedInAccount } from '../domain/account.ts';
import type { SessionStore } from '../ports/session-store.port.ts';
import { describeDevice } from './device-description.ts';
import type { SessionHandles } from './session-handles.ts';
import { storedSession, type SessionRules } from './stored-session.ts';

/** One row of the sessions page. Named by its handle: the session id never leaves the server. */
export interface SessionRow {
  readonly handle: string;
  readonly browser: string;
  readonly os: string;
  readonly signedInAt: Date;
  /** To within 5 minutes (session-activity.ts); now for the current one, which this request uses. */
  readonly lastActiveAt: Date;
  readonly current: boolean;
}

/** The signed-in user's sessions in this app, and which session id each handle names. */
export interface YourSessions {
  readonly rows: readonly SessionRow[];
  /** The session id behind `handle`, if `handle` names one of these sessions. */
  idOf(handle: string): string | undefined;
}

/**
 * Every live session of `account`'s user (their `sub`), on any device and any app instance: found
 * through the store's subject index, the current one first, then the most recently active. Only
 * sessions the app would serve are listed, by the session middleware's own rules: one idle longer
 * than the idle lifetime in force (lowered since it was written), past its absolute lifetime,
 * signed out by a journaled sign-out, or of another shape (an earlier version's) is left out.
 */
export async function yourSessions(
  deps: { sessionStore: SessionStore; sessionHandles: SessionHandles; now: () => number; rules: SessionRules },
  account: SignedInAccount,
  currentSessionId: string | undefined,
): Promise<YourSessions> {
  const found = await deps.sessionStore.findBySubject(account.subject);
  const loaded = await Promise.all(found.map(async ({ id }) => ({ id, data: await deps.sessionStore.get(id) })));
  const ids = new Map<string, string>();
  const rows: SessionRow[] = [];
  for (const { id, data: stored } of loaded) {
    const session = stored && storedSession(stored, deps.rules);
    if (session?.kind !== 'served') continue;
    const { data } = session;
    const handles = deps.sessionHandles.allOf(id);
    for (const handle of handles) ids.set(handle, id);
    rows.push({
      handle: handles[0]!,
      ...describeDevice(data.userAgent),
      signedInAt: new Date(data.signedInAt),
      // The stored time of the current session is the last one written, up to 5 minutes and up to
      // a whole idle lifetime old: the request showing it is its activity, now.
      lastActiveAt: new Date(id === currentSessionId ? deps.now() : (data.lastActiveAt ?? data.signedInAt)),
      current: id === currentSessionId,
    });
  }
  rows.sort((a, b) => Number(b.current) - Number(a.current) || b.lastActiveAt.getTime() - a.lastActiveAt.getTime());
  return { rows, idOf: (handle) => ids.get(handle) };
}
