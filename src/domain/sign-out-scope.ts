/**
 * Whether a sign-out from the provider reaches `session`. One naming a provider session (`sid`)
 * reaches that session's sessions; when it names a user (`subject`) too, as a back-channel logout
 * token may, only that user's of them (a session stored without its subject counts as theirs). One
 * naming a user alone reaches every session of that user. A sign-out that came at `at` never
 * reaches a session signed in after it (a journaled one applied late, or the journal asked about a
 * session signed in while it waited): that sign-in happened at the provider after the sign-out did.
 * A session stored without its sign-in time counts as signed in before. The use case applies it,
 * and the sign-out journal answers by it which sessions a sign-out not yet applied has ended.
 */
export function reachesSession(
  signOut: { readonly sid?: string; readonly subject?: string; readonly at?: number },
  session: { readonly sid?: string; readonly subject?: string; readonly signedInAt?: number },
): boolean {
  if (signOut.at !== undefined && session.signedInAt !== undefined && session.signedInAt > signOut.at) return false;
  if (signOut.sid !== undefined) {
    return signOut.sid === session.sid && (signOut.subject === undefined || session.subject === undefined || signOut.subject === session.subject);
  }
  return signOut.subject !== undefined && signOut.subject === session.subject;
}
