import type { SignedInAccount } from './account.ts';
import { SignInFailed, SignInRejected } from './errors.ts';
import { codeChallengeS256, randomToken } from './random.ts';
import { safeReturnTo } from './return-to.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';

/** What the caller keeps, where the user cannot change it, between sending the user to the provider and the callback. */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly scopes: readonly string[];
  readonly startedAt: number;
}

/** Query parameters of the redirect back from the provider (already reduced to single strings). */
export interface CallbackParams {
  readonly code?: string;
  readonly state?: string;
  readonly error?: string;
  readonly error_description?: string;
}

export interface BeginSignIn {
  readonly returnTo?: unknown;
  /** Scopes to consent to; defaults to the downstream API's scopes. */
  readonly scopes?: readonly string[];
  /** Claims request from a claims challenge. */
  readonly claims?: string;
  readonly loginHint?: string;
}

/** A sign-in left unfinished for longer than this must be started again. */
export const PENDING_SIGN_IN_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Sign-in with the authorization code flow: `begin` makes the authorization URL with PKCE (S256),
 * `state` and `nonce`; `complete` checks the callback against what `begin` remembered and redeems
 * the code. The caller keeps `pending` for one callback and starts a session under a new id afterwards.
 */
export class SignIn {
  private readonly identityProvider: IdentityProvider;
  private readonly apiScopes: readonly string[];
  private readonly now: () => number;

  constructor(deps: { identityProvider: IdentityProvider; apiScopes: readonly string[]; now?: () => number }) {
    this.identityProvider = deps.identityProvider;
    this.apiScopes = deps.apiScopes;
    this.now = deps.now ?? Date.now;
  }

  async begin(request: BeginSignIn = {}): Promise<{ authorizationUrl: string; pending: PendingSignIn }> {
    const scopes = request.scopes ?? this.apiScopes;
    const pending: PendingSignIn = {
      state: randomToken(),
      nonce: randomToken(),
      codeVerifier: randomToken(),
      returnTo: safeReturnTo(request.returnTo),
      scopes,
      startedAt: this.now(),
    };
    const authorizationUrl = await this.identityProvider.authorizationUrl({
      scopes,
      state: pending.state,
      nonce: pending.nonce,
      codeChallenge: codeChallengeS256(pending.codeVerifier),
      claims: request.claims,
      loginHint: request.loginHint,
    });
    return { authorizationUrl, pending };
  }

  async complete(
    pending: PendingSignIn | undefined,
    params: CallbackParams,
  ): Promise<{ account: SignedInAccount; returnTo: string }> {
    if (!pending) {
      throw new SignInRejected('No sign-in is in progress in this browser. Please start again.');
    }
    if (!params.state || params.state !== pending.state) {
      throw new SignInRejected('This sign-in response does not match the sign-in this browser started. Please start again.');
    }
    if (params.error) {
      throw new SignInFailed(params.error, params.error_description);
    }
    if (this.now() - pending.startedAt > PENDING_SIGN_IN_LIFETIME_MS) {
      throw new SignInRejected('This sign-in took too long. Please start again.');
    }
    if (!params.code) {
      throw new SignInRejected('The sign-in response has no authorization code. Please start again.');
    }
    const account = await this.identityProvider.redeemCode({
      code: params.code,
      codeVerifier: pending.codeVerifier,
      scopes: pending.scopes,
      state: pending.state,
      nonce: pending.nonce,
    });
    return { account, returnTo: pending.returnTo };
  }
}
