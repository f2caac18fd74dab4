/** The signed-in user as the app remembers them in the session. */
export interface SignedInAccount {
  /** Token store partition key: MSAL's homeAccountId (`<oid>.<tid>` with Entra). */
  readonly accountId: string;
  /** The id token's `sub`. */
  readonly subject: string;
  /** The provider session id (`sid` claim), used for single sign-out; absent if not issued. */
  readonly sid?: string;
  readonly username: string;
  readonly name?: string;
  /** The id token's `login_hint` claim when present (Entra), for a smoother sign-out. */
  readonly loginHint?: string;
}
