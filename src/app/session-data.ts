import type { SignedInAccount } from '../domain/account.ts';
import { randomToken } from '../domain/random.ts';
import { MAX_USER_AGENT_LENGTH } from './device-description.ts';

/**
 * What this app keeps in a browser session (server-side; the cookie holds only the id). A session
 * exists only for a signed-in user: it is created at sign-in with the first three fields; the
 * others describe it on the sessions page (absent in sessions of earlier versions).
 */
export interface AppSessionData {
  account: SignedInAccount;
  /** The sign-out form's token, made at sign-in so pages loaded at once all get the same one. */
  csrfToken: string;
  /** Epoch ms of the sign-in; the session ends SESSION_ABSOLUTE_TTL_SECONDS after it. */
  signedInAt: number;
  /** The browser's User-Agent at sign-in (at most MAX_USER_AGENT_LENGTH characters). */
  userAgent?: string;
  /** Epoch ms of the last request, to within ACTIVITY_RESOLUTION_MS (session-activity.ts). */
  lastActiveAt?: number;
  /** Set when the sign-in answered a page's need for the user (interaction-required.ts): that page. */
  interactionAnswered?: { readonly returnTo: string; readonly at: number };
}

/** The data of a session that starts now for `account`, in the browser that sent `userAgent`. */
export function signedInSessionData(account: SignedInAccount, now: number, userAgent = ''): AppSessionData {
  return {
    account,
    csrfToken: randomToken(),
    signedInAt: now,
    lastActiveAt: now,
    ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT_LENGTH) } : {}),
  };
}

/**
 * `stored` if it has the shape this version writes. Data of an earlier version (an anonymous
 * session holding a pending sign-in, a session without its sign-in time) or of an unknown shape is
 * not: the visitor is then signed out rather than served from data the code does not expect.
 */
export function currentSessionData(stored: Record<string, unknown>): AppSessionData | undefined {
  const { account, csrfToken, signedInAt } = stored as Partial<Record<keyof AppSessionData, unknown>>;
  if (typeof csrfToken !== 'string' || csrfToken === '' || typeof signedInAt !== 'number' || !isAccount(account)) return undefined;
  return stored as unknown as AppSessionData;
}

/** How long the session may still live under the absolute lifetime (≤ 0: it has ended). */
export function absoluteLifetimeLeftMs(data: AppSessionData, now: number, absoluteTtlMs: number): number {
  return data.signedInAt + absoluteTtlMs - now;
}

function isAccount(value: unknown): value is SignedInAccount {
  const account = value as Partial<Record<keyof SignedInAccount, unknown>> | null;
  return (
    typeof account === 'object' &&
    account !== null &&
    typeof account.accountId === 'string' &&
    typeof account.subject === 'string' &&
    typeof account.username === 'string' &&
    (account.sid === undefined || typeof account.sid === 'string')
  );
}
