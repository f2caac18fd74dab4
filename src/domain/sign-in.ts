import type { SignedInAccount } from './account.ts';
import { mergeClaims } from './claims-challenge.ts';
import { InteractionNotSatisfied, InteractionRequired, NO_SIGN_IN_IN_PROGRESS, SignInAgainWithClaims, SignInRejected } from './errors.ts';
import { checkReturnPath } from './return-to.ts';
import type { IdentityProvider, SignInCallback, SignInChecks } from '../ports/identity-provider.port.ts';

/** What the caller keeps, where the user cannot change it, between sending the user to the provider and the callback. */
export interface PendingSignIn {
  /** The provider adapter's protocol checks (state, nonce, PKCE verifier): opaque here. */
  readonly checks: SignInChecks;
  readonly returnTo: string;
  readonly scopes: readonly string[];
  readonly startedAt: number;
  /** Started by an interaction-required redirect (BeginSignIn.interaction). */
  readonly interaction?: true;
  /** Started again with the claims the token endpoint asked for at redemption (BeginSignIn.claimsRetry). */
  readonly claimsRetry?: true;
  /** The claims and login hint it asked with, for a sign-in started again (kept only when short: a cookie's room is small). */
  readonly claims?: string;
  readonly loginHint?: string;
  /**
   * Started as "Sign in with another account" (BeginSignIn.prompt): if it fails, at its callback
   * too, it is offered again as one, or the provider's own session would sign the same account in.
   */
  readonly prompt?: 'login';
}

/** Query parameters of the redirect back from the provider (already reduced to single strings). */
export type CallbackParams = SignInCallback;

export interface BeginSignIn {
  readonly returnTo?: unknown;
  /** Scopes to consent to; defaults to the downstream API's scopes. */
  readonly scopes?: readonly string[];
  /** Claims request from a claims challenge. */
  readonly claims?: string;
  readonly loginHint?: string;
  /** Started because a page's token request needed the user (consent, claims): the page is `returnTo`. */
  readonly interaction?: boolean;
  /** Started again because the token endpoint asked for claims when redeeming the code (SignInAgainWithClaims). */
  readonly claimsRetry?: boolean;
  /** `login`: the provider asks for credentials even with a session of its own (another account). */
  readonly prompt?: 'login';
}

/** A sign-in left unfinished for longer than this must be started again. */
export const PENDING_SIGN_IN_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Sign-in, with the product's rules: one attempt per pending sign-in (the caller keeps `pending`
 * for one callback), a pending sign-in expires after ten minutes, the user returns only to a path
 * on this site, and each failure says what it means to the user. The protocol's mechanics (state,
 * nonce, PKCE, the ID token checks) are the identity provider adapter's. The caller starts a
 * session under a new id afterwards.
 */
export class SignIn {
  readonly #identityProvider: IdentityProvider;
  readonly #apiScopes: readonly string[];
  readonly #now: () => number;

  constructor(deps: { identityProvider: IdentityProvider; apiScopes: readonly string[]; now?: () => number }) {
    this.#identityProvider = deps.identityProvider;
    this.#apiScopes = deps.apiScopes;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * Where the provider should authenticate the user, and what to keep until the callback. No
   * `returnTo` returns the user to `/`; one that is not a path on this site is refused
   * (`SignInRejected`), never followed and never silently replaced: the link was made elsewhere.
   */
  async begin(request: BeginSignIn = {}): Promise<{ authorizationUrl: string; pending: PendingSignIn }> {
    const returnTo = returnPathOf(request.returnTo);
    const scopes = request.scopes ?? this.#apiScopes;
    const { authorizationUrl, checks } = await this.#identityProvider.startSignIn({
      scopes,
      claims: request.claims,
      loginHint: request.loginHint,
      prompt: request.prompt,
    });
    const pending: PendingSignIn = {
      checks,
      returnTo,
      scopes,
      startedAt: this.#now(),
      ...(request.interaction ? { interaction: true as const } : {}),
      ...(request.claimsRetry ? { claimsRetry: true as const } : {}),
      // Kept for the code's redemption and a sign-in started again; where the pending sign-in is
      // kept may leave them out when they do not fit (pending-sign-in-cookie.ts).
      ...(request.claims ? { claims: request.claims } : {}),
      ...(request.loginHint ? { loginHint: request.loginHint } : {}),
      ...(request.prompt ? { prompt: request.prompt } : {}),
    };
    return { authorizationUrl, pending };
  }

  async complete(
    pending: PendingSignIn | undefined,
    params: CallbackParams,
  ): Promise<{ account: SignedInAccount; returnTo: string; interaction: boolean }> {
    if (!pending) {
      throw new SignInRejected(NO_SIGN_IN_IN_PROGRESS);
    }
    if (this.#now() - pending.startedAt > PENDING_SIGN_IN_LIFETIME_MS) {
      throw new SignInRejected('This sign-in took too long (a sign-in must be finished within 10 minutes). Please start again.');
    }
    const account = await this.#identityProvider.completeSignIn(pending.checks, params, pending.scopes, pending.claims).catch((error: unknown) => {
      throw this.#claimsAskedAtRedemption(pending, error);
    });
    return { account, returnTo: pending.returnTo, interaction: pending.interaction === true };
  }

  /**
   * A code the token endpoint would not redeem until the user meets more, naming the claims to ask
   * for (`InteractionRequired` with claims: a Conditional Access policy at redemption): the sign-in
   * starts again, once, with them (`SignInAgainWithClaims`). Asked again by the sign-in that carried
   * them, the provider cannot be satisfied: `InteractionNotSatisfied`, not a loop through the
   * provider. Any other error as it is.
   */
  #claimsAskedAtRedemption(pending: PendingSignIn, error: unknown): unknown {
    if (!(error instanceof InteractionRequired) || !error.claims) return error;
    if (pending.claimsRetry) {
      return new InteractionNotSatisfied(`the token endpoint asked for claims again after a sign-in that asked for them: ${error.message}`, { cause: error });
    }
    // With what the first request asked for too (a step-up's `acrs`, the user's login hint): asked
    // for the new claims alone, the provider would issue a token without the others.
    return new SignInAgainWithClaims(
      {
        returnTo: pending.returnTo,
        scopes: pending.scopes,
        claims: mergeClaims(pending.claims, error.claims),
        interaction: pending.interaction === true,
        ...(pending.loginHint ? { loginHint: pending.loginHint } : {}),
      },
      { cause: error },
    );
  }
}

/**
 * The page a sign-in returns to: `/` when none is named (absent or empty), else a path on this site
 * (`checkReturnPath`), or `SignInRejected` saying what is wrong with the link.
 */
function returnPathOf(asked: unknown): string {
  if (asked === undefined || asked === '') return '/';
  if (Array.isArray(asked)) throw new SignInRejected('This sign-in link names more than one page to return to, so it was not followed.');
  const checked = checkReturnPath(asked);
  if ('path' in checked) return checked.path;
  throw new SignInRejected(
    checked.refused === 'too-long'
      ? 'This sign-in link names a page to return to that is longer than this site allows, so it was not followed.'
      : 'This sign-in link asks to return to an address outside this site, so it was not followed.',
  );
}
