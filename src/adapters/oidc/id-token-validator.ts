import type { JWTPayload } from 'jose';
import { SignInUnverified } from '../../domain/errors.ts';
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
 * code redemption, before anything is stored: a token that fails is `SignInUnverified` naming the rule.
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

  /** The token's verified claims; rejects with `SignInUnverified`, or `IdentityProviderUnavailable` when keys cannot be had. */
  async validate(idToken: string, expectedNonce: string): Promise<JWTPayload> {
    try {
      return await this.#check(idToken, expectedNonce);
    } catch (error) {
      throw error instanceof TokenRefused ? new SignInUnverified(error.rule, { cause: error }) : error;
    }
  }

  async #check(idToken: string, expectedNonce: string): Promise<JWTPayload> {
    const claims = await verifyProviderJwt(idToken, await this.#discovery.get(), this.#keys, {
      clientId: this.#clientId,
      clockSkewSeconds: this.#clockSkewSeconds,
      maxAgeSeconds: this.#maxAgeSeconds,
      declaredTypes: ID_TOKEN_TYPES,
    });
    if (claims.nonce !== expectedNonce) throw new TokenRefused('nonce', 'the nonce is not the one this sign-in sent');
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new TokenRefused('sub', 'the token names no subject');
    return claims;
  }
}
