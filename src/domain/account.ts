/** The signed-in user as the app remembers them in the session. */
export interface SignedInAccount {
  /** Token store partition key: MSAL's homeAccountId (`<oid>.<tid>` with Entra). */
  readonly accountId: string;
  /** The id token's `sub`. */
  readonly subject: string;
  /** The provider session id (`sid` claim), used for single sign-out; absent if not issued. */
  readonly sid?: string;
  /** The sign-in name (`preferred_username`, `upn` or `emails[0]`), or the `sub` when the ID token had none. */
  readonly username: string;
  readonly name?: string;
  /** The id token's `login_hint` claim when present (Entra), for a smoother sign-out. */
  readonly loginHint?: string;
}

/**
 * What to send as `login_hint` when the user must sign in again (OpenID Connect Core §3.1.2.1: "the
 * login identifier the End-User might use to log in"): the sign-in name. A `username` that is only
 * the `sub` fallback is no identifier a person types, and a provider would put it in its user-name
 * field: then the ID token's own `login_hint` claim if it had one, else no hint. (Not the claim
 * first, though Entra recommends it: MSAL also sends a `login_hint` as Entra's routing hint
 * `X-AnchorMailbox=UPN:<hint>`, which an opaque value is not; msal-common's Authorize.mjs, `addCcsUpn`.
 * Entra gives `preferred_username`, so only a provider that does not reaches the claim.)
 */
export function loginHintFor(account: SignedInAccount): string | undefined {
  return account.username !== account.subject ? account.username : account.loginHint;
}
