/**
 * Whether a sign-out from the provider reaches `session`. One naming a provider session (`sid`)
 * reaches that session's sessions; when it names a user (`subject`) too, as a back-channel logout
 * token may, only that user's of them (a session stored without its subject counts as theirs). One
 * naming a user alone reaches every session of that user. The use case applies it, and the sign-out
 * journal answers by it which sessions a sign-out not yet applied has ended.
 */
export function reachesSession(
  signOut: { readonly sid?: string; readonly subject?: string },
  session: { readonly sid?: string; readonly subject?: string },
): boolean {
  if (signOut.sid !== undefined) {
    return signOut.sid === session.sid && (signOut.subject === undefined || session.subject === undefined || signOut.subject === session.subject);
  }
  return signOut.subject !== undefined && signOut.subject === session.subject;
}
