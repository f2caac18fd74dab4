import type { JWTPayload } from 'jose';
import { SignInUnverified, TenantNotAllowed } from '../../domain/errors.ts';
import { isUsableSid, MAX_SID_LENGTH } from '../../domain/provider-session-id.ts';
import { verifyProviderJwt, TokenRefused } from './provider-jwt.ts';
import type { ProviderDiscovery } from './provider-discovery.ts';
import type { ProviderKeys } from './provider-keys.ts';

/**
 * The one type an ID token may declare (or none): any other is a JWT made for something else, an
 * access token's `at+jwt` or a logout token's `logout+jwt` (RFC 8725 §3.11, explicit typing).
 */
const ID_TOKEN_TYPES = new Set(['jwt']);

/**
 * The ID token checks OpenID Connect Core 1.0 §3.1.3.7 asks of a relying party, which MSAL Node
 * does not make (it decodes the token and compares the nonce only). Run on the token received at
 * code redemption, and on one a refresh returns, before anything is stored: a token that fails is
 * `SignInUnverified` naming the rule.
 */
export class IdTokenValidator {
  readonly #clientId: string;
  readonly #discovery: ProviderDiscovery;
  readonly #keys: ProviderKeys;
  readonly #clockSkewSeconds: number;
  readonly #maxAgeSeconds: number;

  constructor(deps: {
    clientId: string;
    providerDiscovery: ProviderDiscovery;
    providerKeys: ProviderKeys;
    clockSkewSeconds: number;
    idTokenMaxAgeSeconds: number;
  }) {
    this.#clientId = deps.clientId;
    this.#discovery = deps.providerDiscovery;
    this.#keys = deps.providerKeys;
    this.#clockSkewSeconds = deps.clockSkewSeconds;
    this.#maxAgeSeconds = deps.idTokenMaxAgeSeconds;
  }

  /**
   * Resolves once discovery and the provider's keys are at hand, so that a token can be checked;
   * rejects with `IdentityProviderUnavailable` when they cannot be had.
   */
  async ready(): Promise<void> {
    await this.#discovery.get();
    await this.#keys.ready();
  }

  /** The token's verified claims; rejects with `SignInUnverified`, or `IdentityProviderUnavailable` when keys cannot be had. */
  async validate(idToken: string, expectedNonce: string): Promise<JWTPayload> {
    try {
      return await this.#check(idToken, expectedNonce);
    } catch (error) {
      throw error instanceof TokenRefused ? refusal(error) : error;
    }
  }

  /**
   * An ID token a refresh returned (OpenID Connect Core 1.0 §12.2): the checks of §3.1.3.7 but the
   * nonce's (none was sent), and the identity of `original`, the ID token held until then (the
   * sign-in's, or an earlier refresh's, each checked in its turn). Rejects as `validate` does.
   */
  async validateRefreshed(idToken: string, original: Readonly<Record<string, unknown>> | undefined): Promise<JWTPayload> {
    try {
      const claims = await this.#verified(idToken);
      if (original) sameIdentity(claims, original);
      return claims;
    } catch (error) {
      throw error instanceof TokenRefused ? refusal(error) : error;
    }
  }

  async #check(idToken: string, expectedNonce: string): Promise<JWTPayload> {
    const claims = await this.#verified(idToken);
    if (claims.nonce !== expectedNonce) throw new TokenRefused('nonce', 'the nonce is not the one this sign-in sent');
    // The session is indexed by the sign-in's `sid` (a refresh's is not used), and the front-channel
    // Logout URL finds it by that: a `sid` it would refuse (not text, empty, too long) leaves a
    // session no front-channel sign-out could end.
    if (claims.sid !== undefined && !isUsableSid(claims.sid)) {
      throw new TokenRefused('sid', `the session id is not text of 1 to ${MAX_SID_LENGTH} characters`);
    }
    return claims;
  }

  async #verified(idToken: string): Promise<JWTPayload> {
    const claims = await verifyProviderJwt(idToken, await this.#discovery.get(), this.#keys, {
      clientId: this.#clientId,
      clockSkewSeconds: this.#clockSkewSeconds,
      maxAgeSeconds: this.#maxAgeSeconds,
      declaredTypes: ID_TOKEN_TYPES,
    });
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new TokenRefused('sub', 'the token names no subject');
    return claims;
  }
}

/**
 * OpenID Connect Core 1.0 §12.2: a refreshed ID token names the same issuer, subject, audiences and
 * authorized party; it should carry no nonce, but one it carries "MUST be the same as in the ID
 * Token issued at the time of the original authentication" (Keycloak repeats it), and an
 * `auth_time` it carries "MUST represent the time of the original authentication". The ID token
 * held stands for the original: the sign-in's, or a refresh's that repeated its nonce and
 * `auth_time` or carried none (then a later refresh bringing one cannot be shown to name this
 * authentication, and is refused).
 */
function sameIdentity(claims: JWTPayload, original: Readonly<Record<string, unknown>>): void {
  if (claims.iss !== original.iss) throw new TokenRefused('iss', 'not the issuer of the ID token it replaces');
  if (claims.sub !== original.sub) throw new TokenRefused('sub', 'not the subject of the ID token it replaces');
  if (!sameMembers(audiences(claims.aud), audiences(original.aud))) throw new TokenRefused('aud', 'not the audiences of the ID token it replaces');
  if (claims.azp !== original.azp) throw new TokenRefused('azp', 'not the authorized party of the ID token it replaces');
  if (claims.nonce !== undefined && claims.nonce !== original.nonce) throw new TokenRefused('nonce', 'not the nonce of the original authentication');
  if (claims.auth_time !== undefined && claims.auth_time !== original.auth_time) {
    throw new TokenRefused('auth_time', 'not the time of the original authentication');
  }
}

function audiences(aud: unknown): unknown[] {
  return Array.isArray(aud) ? aud : [aud];
}

function sameMembers(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((member) => b.includes(member)) && b.every((member) => a.includes(member));
}

/** A refused ID token as the domain's error: a tenant the app does not allow is said so to the user. */
function refusal(error: TokenRefused): SignInUnverified {
  return error.rule === 'tid' ? new TenantNotAllowed(error.rule, { cause: error }) : new SignInUnverified(error.rule, { cause: error });
}
