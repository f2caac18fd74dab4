import { createHash, randomBytes } from 'node:crypto';
import { NO_SIGN_IN_IN_PROGRESS, SignInFailed, SignInRejected, SignInServiceFailed, SignInUnverified, TenantNotAllowed } from '../../domain/errors.ts';
import type { SignInCallback, SignInChecks } from '../../ports/identity-provider.port.ts';

/**
 * The protocol checks of one authorization code sign-in, in one place: `state` (the callback
 * belongs to this browser's sign-in; RFC 6749 §10.12), `nonce` (the ID token was issued for it;
 * OpenID Connect Core §3.1.2.1) and the PKCE verifier (the code can only be redeemed by who asked
 * for it; RFC 7636, S256). The caller keeps them opaque and hands them back at the callback.
 */
export interface Checks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** Fresh, unguessable checks for a new sign-in, and the PKCE S256 challenge of its verifier. */
export function newSignInChecks(): { checks: Checks; codeChallenge: string } {
  const token = () => randomBytes(32).toString('base64url');
  const checks = { state: token(), nonce: token(), codeVerifier: token() };
  return { checks, codeChallenge: codeChallengeS256(checks.codeVerifier) };
}

/** PKCE S256 code challenge of a verifier (RFC 7636 §4.2). */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Authorization error codes that mean the provider is failing, not the request (RFC 6749 §4.1.2.1). */
const PROVIDER_FAILURES = new Set(['server_error', 'temporarily_unavailable']);

/** What the authorization response's issuer check (RFC 9207) reads from the provider's discovery document. */
export interface ResponseIssuerRule {
  /** The provider's discovery document (whether it advertises RFC 9207's `iss`); rejects while it cannot be had. */
  configuration(): Promise<{ readonly [field: string]: unknown }>;
  /**
   * Why `iss` is refused by the issuer rule tokens are held to: `tid` for the provider's issuer of a
   * tenant the app does not allow, `iss` for any other; `undefined` when it is trusted.
   */
  issuerRefusal(iss: string): Promise<'iss' | 'tid' | undefined>;
}

/**
 * The authorization code of a callback that belongs to the sign-in `kept` describes. The state is
 * compared first, then who sent the response, both before a provider error is believed: an
 * `error=` for another browser's sign-in, or from another issuer, must not be shown as this one's.
 */
export async function codeOfCallback(
  kept: SignInChecks,
  callback: SignInCallback,
  issuerRule: ResponseIssuerRule,
): Promise<{ code: string; checks: Checks }> {
  const checks = readChecks(kept);
  if (!callback.state || callback.state !== checks.state) {
    throw new SignInRejected('This sign-in response does not match the sign-in this browser started. Please start again.');
  }
  await refuseForeignResponse(callback.iss, issuerRule);
  // Empty: an error answer that names none (RFC 6749 §4.1.2.1 requires one), so not read as the
  // provider's own `invalid_request`, which is logged as the app's set-up being wrong.
  if (callback.error === '') throw new SignInRejected('The sign-in response reports an error without naming it. Please start again.');
  if (callback.error !== undefined) {
    // The provider's own failure (RFC 6749 §4.1.2.1), said in a redirect that cannot carry a 5xx: try again later.
    if (PROVIDER_FAILURES.has(callback.error)) throw new SignInServiceFailed(`the provider answered the sign-in with ${callback.error}`);
    throw new SignInFailed(callback.error, callback.error_description);
  }
  if (!callback.code) throw new SignInRejected('The sign-in response has no authorization code. Please start again.');
  return { code: callback.code, checks };
}

function readChecks(kept: SignInChecks): Checks {
  const { state, nonce, codeVerifier } = kept;
  if (!state || !nonce || !codeVerifier) throw new SignInRejected(NO_SIGN_IN_IN_PROGRESS);
  return { state, nonce, codeVerifier };
}

/** The rule an authorization response from another issuer breaks (logged; never shown). */
export const RESPONSE_ISSUER_RULE = 'response-iss';
/** The rule an authorization response from the provider, for a tenant the app does not allow, breaks. */
export const RESPONSE_TENANT_RULE = 'response-tid';

/**
 * RFC 9207 §2.4, the defence against mix-up attacks, before the code is redeemed: a provider whose
 * discovery promises to name itself (`authorization_response_iss_parameter_supported`, as
 * oidc-provider's does) must have done so, and a response that names an issuer (`iss`) must name
 * this app's provider, by the issuer rule ID tokens are held to (for Entra `common`, the
 * tenant-resolved issuer of an allowed tenant). A provider that promises nothing may leave `iss`
 * out. One that sends it without promising it is compared, not refused as §2.4's SHOULD would
 * have it: refusing would stop every sign-in the day a provider starts sending `iss` before it
 * advertises it, and the value must be this provider's either way.
 */
async function refuseForeignResponse(iss: string | undefined, issuerRule: ResponseIssuerRule): Promise<void> {
  if (iss === undefined) {
    const promised = (await issuerRule.configuration()).authorization_response_iss_parameter_supported === true;
    if (promised) throw new SignInUnverified(RESPONSE_ISSUER_RULE, { cause: new Error('the provider promises iss in its authorization responses, and this one has none') });
  } else {
    const refusal = await issuerRule.issuerRefusal(iss);
    // The provider's own issuer, for a tenant not allowed (a user of another organisation, at a
    // multi-tenant authority): refused by the rule its ID token would break, and said so on the page.
    if (refusal === 'tid') throw new TenantNotAllowed(RESPONSE_TENANT_RULE, { cause: new Error(`the authorization response names issuer "${iss}"`) });
    if (refusal) throw new SignInUnverified(RESPONSE_ISSUER_RULE, { cause: new Error(`the authorization response names issuer "${iss}"`) });
  }
}
