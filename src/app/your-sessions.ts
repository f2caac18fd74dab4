import type { SignedInAccount } from '../domain/account.ts';
import type { SessionStore } from '../ports/session-store.port.ts';
import { describeDevice } from './device-description.ts';
import { currentSessionData } from './session-data.ts';
import type { SessionHandles } from './session-handles.ts';

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
 * through the store's subject index, the current one first, then the most recently active.
 * Sessions of another shape (an earlier version's) are left out: they cannot be described.
 */
export async function yourSessions(
  deps: { sessionStore: SessionStore; sessionHandles: SessionHandles; now: () => number },
  account: SignedInAccount,
  currentSessionId: string | undefined,
): Promise<YourSessions> {
  const found = await deps.sessionStore.findBySubject(account.subject);
  const loaded = await Promise.all(found.map(async ({ id }) => ({ id, data: await deps.sessionStore.get(id) })));
  const ids = new Map<string, string>();
  const rows: SessionRow[] = [];
  for (const { id, data: stored } of loaded) {
    const data = stored && currentSessionData(stored);
    if (!data) continue;
    const handle = deps.sessionHandles.of(id);
    ids.set(handle, id);
    rows.push({
      handle,
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
