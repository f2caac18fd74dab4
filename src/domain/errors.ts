import { shownErrorCode } from './provider-words.ts';

/**
 * Domain errors. They carry no HTTP status: src/app/middleware/error-handler.ts maps them.
 * `userMessage` is safe to show; anything else stays in the logs.
 */
export abstract class DomainError extends Error {
  abstract readonly userMessage: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Only the user can fix this: sign in again or consent, for exactly these scopes and claims. */
export class InteractionRequired extends DomainError {
  readonly userMessage = 'Please sign in again to continue.';
  readonly scopes: readonly string[];
  readonly claims: string | undefined;
  /** The user's sessions were ended on the way (a CAE revocation): this request's own is gone too. */
  readonly signedOut: boolean;
  /**
   * The provider said, refusing a refresh, that the user's sessions were revoked (Entra's
   * AADSTS50173 after a password reset or "Revoke sessions"): every token held for them is dead,
   * as after a CAE revocation challenge.
   */
  readonly sessionsRevoked: boolean;
  constructor(scopes: readonly string[], claims?: string, options?: { cause?: unknown; reason?: string; signedOut?: boolean; sessionsRevoked?: boolean }) {
    super(`interaction required${options?.reason ? `: ${options.reason}` : ''}`, options);
    this.scopes = scopes;
    this.claims = claims;
    this.signedOut = options?.signedOut === true;
    this.sessionsRevoked = options?.sessionsRevoked === true;
  }
}

/**
 * The token endpoint would not redeem the code until the user meets more (a Conditional Access
 * policy at redemption: multi-factor, a compliant device), and named the claims to ask for: the
 * sign-in starts again with `retry`. The callback route does that; the page (a 400) is only a
 * fallback.
 */
export class SignInAgainWithClaims extends DomainError {
  readonly userMessage = 'Please sign in again to continue.';
  readonly retry: {
    readonly returnTo: string;
    readonly scopes: readonly string[];
    readonly claims: string;
    readonly interaction: boolean;
    readonly loginHint?: string;
  };
  constructor(retry: SignInAgainWithClaims['retry'], options?: { cause?: unknown }) {
    super('the token endpoint asked for claims at code redemption', options);
    this.retry = retry;
  }
}

/** A callback with no sign-in of this browser's to finish: taken already, expired, or never started here. */
export const NO_SIGN_IN_IN_PROGRESS =
  'No sign-in is in progress in this browser: it was finished already, it expired (a sign-in must be finished within 10 minutes), or it was started in another browser or window. Please start again.';

/** The callback does not belong to a sign-in this session started, or it was tampered with. */
export class SignInRejected extends DomainError {
  readonly userMessage: string;
  constructor(userMessage: string, options?: { cause?: unknown }) {
    super(userMessage, options);
    this.userMessage = userMessage;
  }
}

/**
 * The provider's answer failed a check the relying party must make: its ID token (OpenID Connect
 * Core 1.0 §3.1.3.7: wrong issuer, audience, authorized party, times, nonce or signature), or the
 * authorization response's issuer (RFC 9207). `rule` names it.
 */
export class SignInUnverified extends DomainError {
  readonly userMessage: string = 'Your sign-in could not be verified, so you were not signed in. Please try again.';
  readonly rule: string;
  constructor(rule: string, options?: { cause?: unknown }) {
    super(`sign-in refused: ${rule}`, options);
    this.rule = rule;
  }
}

/**
 * A genuine user of an organisation (tenant) this app does not allow, at a multi-tenant authority
 * or with ALLOWED_TENANTS. Said so: "try again" would sign the same account in and be refused again.
 */
export class TenantNotAllowed extends SignInUnverified {
  override readonly userMessage = 'This app does not accept accounts of your organisation, so you were not signed in.';
}

/**
 * The provider answered the sign-in with an error (e.g. `access_denied`) or refused the code.
 * `heardFrom` says which: the authorization response is a redirect through the browser that anyone
 * holding a fresh `state` can write, so its words are the provider's only by claim; the token
 * endpoint's answer came to this server over TLS.
 */
export class SignInFailed extends DomainError {
  readonly userMessage: string;
  readonly providerError: string;
  readonly providerDescription: string | undefined;
  readonly heardFrom: 'authorization response' | 'token endpoint';
  constructor(providerError: string, providerDescription?: string, options?: { cause?: unknown; heardFrom?: SignInFailed['heardFrom'] }) {
    super(`sign-in failed: ${providerError}`, options);
    this.providerError = providerError;
    this.providerDescription = providerDescription;
    this.heardFrom = options?.heardFrom ?? 'authorization response';
    this.userMessage =
      providerError === 'access_denied'
        ? 'Sign-in was cancelled or access was denied.'
        : `Sign-in failed (${shownErrorCode(providerError)}).`;
  }
}

/** The identity provider could not be reached or answered with a server error. */
export class IdentityProviderUnavailable extends DomainError {
  readonly userMessage: string = 'The sign-in service is not reachable right now. Please try again shortly.';
}

/**
 * A token names a signing key the app has not seen and may not look for now (too many unknown keys
 * were looked for lately, most likely forged tokens): it cannot be checked yet. Answered as the
 * provider being unavailable, so a genuine token is sent again, but neither a failed sign-out nor
 * this server's fault: such tokens cost an attacker nothing, and must not fill the alerts.
 */
export class TokenCheckDeferred extends IdentityProviderUnavailable {}

/**
 * The provider was reached, but failed the sign-in's code redemption: a 5xx or 429, `server_error`
 * or `temporarily_unavailable` (RFC 6749 §5.2 as Entra sends them), `invalid_client` or
 * `unauthorized_client` (this app's credentials: a wrong or expired CLIENT_SECRET), or an answer no
 * client can use.
 * Unavailable for now, and the sign-in has to start again (its code is spent).
 */
export class SignInNotCompleted extends IdentityProviderUnavailable {
  override readonly userMessage: string = 'The sign-in service could not complete your sign-in right now. Please try again shortly.';
}

/**
 * The provider was reached, but failed a refresh of the user's tokens: a 5xx or 429, an error that is
 * neither the user's nor a request for more (`invalid_client`: this app's credentials), an answer no
 * client can use, or an ID token that fails a check. Unavailable for now; the user stays signed in.
 */
export class TokenRefreshFailed extends IdentityProviderUnavailable {
  override readonly userMessage: string = 'The sign-in service could not renew your access right now. Please try again shortly.';
}

/**
 * The same failure said by the provider's callback (`error=server_error` or
 * `temporarily_unavailable`, OpenID Connect Core §3.1.2.6), which anyone holding a fresh `state`
 * can send: logged as a warning, not as this server's error.
 */
export class SignInServiceFailed extends SignInNotCompleted {}

/** The downstream web API could not be reached or failed. */
export class DownstreamApiUnavailable extends DomainError {
  readonly userMessage: string = 'The service behind this page is not reachable right now. Please try again shortly.';
}

/**
 * The downstream web API said it is busy or down for now (429, 503; Microsoft Graph throttles with
 * 429): try again later, after `retryAfterSeconds` when it said how long.
 */
export class DownstreamApiBusy extends DownstreamApiUnavailable {
  override readonly userMessage = 'The service behind this page is busy right now. Please try again in a little while.';
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The downstream API answered 403: it knows the user and refuses them this (RFC 6750 §3.1
 * `insufficient_scope`, or a resource's own rule). Trying again does not help, nor does signing in.
 */
export class ApiForbidden extends DomainError {
  readonly userMessage = 'The service behind this page refused this request for your account: it needs a permission you do not have.';
}

/**
 * The page's token request needed the user again right after they signed in for that page: the
 * provider gives tokens the downstream API goes on refusing (a wrong audience, a claim the provider
 * cannot satisfy). Sending the user round again would loop until the browser gives up.
 */
export class InteractionNotSatisfied extends DomainError {
  readonly userMessage = 'The service behind this page still refuses access after you signed in again. Please try again later.';
}

/** The downstream API refused the token (401); `claims` is set for a claims challenge. */
export class ApiChallenge extends DomainError {
  readonly userMessage = 'The service refused the request.';
  readonly claims: string | undefined;
  constructor(claims?: string) {
    super(`downstream API answered 401${claims ? ' with a claims challenge' : ''}`);
    this.claims = claims;
  }
}

/** A sign-out request from the provider is not valid for this app (e.g. wrong `iss`); `reason` names the check. */
export class SignOutRejected extends DomainError {
  readonly userMessage: string;
  readonly reason: string | undefined;
  constructor(userMessage: string, options?: { cause?: unknown; reason?: string }) {
    super(userMessage, options);
    this.userMessage = userMessage;
    this.reason = options?.reason;
  }
}

/** The token or session store cannot be reached or answered too slowly. */
export class StoreUnavailable extends DomainError {
  readonly userMessage = 'The service is briefly unavailable. Please try again in a moment.';
}
