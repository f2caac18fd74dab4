/**
 * How much later than a sign-out's arrival a session's recorded sign-in may be and still count as
 * before it: the two times come from the clocks of two instances (the one that received the
 * sign-out, the one that signed the user in), which may disagree by a little.
 */
export const SIGN_IN_CLOCK_SKEW_MS = 60_000;

/**
 * Whether a sign-out from the provider reaches `session`. One naming a provider session (`sid`)
 * reaches that session's sessions; when it names a user (`subject`) too, as a back-channel logout
 * token may, only that user's of them (a session stored without its subject counts as theirs). One
 * naming a user alone reaches every session of that user. A sign-out that came at `at` never
 * reaches a session signed in more than SIGN_IN_CLOCK_SKEW_MS after it (a journaled one applied
 * late, or the journal asked about a session signed in while it waited): that sign-in happened at
 * the provider after the sign-out did. A session stored without its sign-in time counts as signed
 * in before. The use case applies it, and the sign-out journal answers by it which sessions a
 * sign-out not yet applied has ended.
 */
export function reachesSession(
  signOut: { readonly sid?: string; readonly subject?: string; readonly at?: number },
  session: { readonly sid?: string; readonly subject?: string; readonly signedInAt?: number },
): boolean {
  if (signOut.at !== undefined && session.signedInAt !== undefined && session.signedInAt > signOut.at + SIGN_IN_CLOCK_SKEW_MS) return false;
  if (signOut.sid !== undefined) {
    return signOut.sid === session.sid && (signOut.subject === undefined || session.subject === undefined || signOut.subject === session.subject);
  }
  return signOut.subject !== undefined && signOut.subject === session.subject;
}
