/**
 * The one vocabulary of sign-out, shared by the audit event, the logs, future metrics and the
 * README. Change a name here and everything that reports it changes with it.
 */

/** The stable name of the audit event written once per sign-out. */
export const SIGN_OUT_EVENT = 'sign-out';

/** Where a sign-out started. */
export const SIGN_OUT_CHANNELS = [
  /** The user clicked "Sign out" in this app, or another account signed in in the same browser. */
  'app',
  /** The provider loaded the Logout URL (`sid`, usually without the user's cookie). */
  'front-channel',
  /** The provider POSTed a logout token. */
  'back-channel',
  /** The user ended one of their sessions, or all of them, on the "Your sessions" page. */
  'sessions-page',
  /** An operator ran `npm run signout`. */
  'operator',
  /** A resource answered with a Continuous Access Evaluation revocation challenge. */
  'cae-revocation',
] as const;
export type SignOutChannel = (typeof SIGN_OUT_CHANNELS)[number];

/** What a sign-out did. */
export const SIGN_OUT_OUTCOMES = [
  /** A token partition or a session was removed. */
  'removed',
  /** There was nothing to remove (an unknown `sid`, a session already ended). */
  'nothing-held',
  /** Accepted during a store outage, to be applied once the store answers. */
  'journaled',
  /** It could not be done (the store failed); the caller got an error and may retry. */
  'failed',
] as const;
export type SignOutOutcome = (typeof SIGN_OUT_OUTCOMES)[number];

/** What became of the refresh token the removed partition held (RFC 7009). */
export const REVOCATION_OUTCOMES = [
  /** The provider's revocation endpoint accepted it. */
  'revoked',
  /** The provider could not be reached, timed out or refused; the local removal stands. */
  'failed',
  /** The provider advertises no `revocation_endpoint` (Microsoft Entra ID). */
  'unsupported',
  /** No refresh token was held, or the sign-out removed no partition (one session of several ended). */
  'not-attempted',
] as const;
export type RevocationOutcome = (typeof REVOCATION_OUTCOMES)[number];
