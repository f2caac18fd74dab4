import { SignOutRejected } from '../../domain/errors.ts';
import type { LogoutTokenClaims, LogoutTokenVerifier } from '../../ports/logout-token-verifier.port.ts';
import type { ProviderDiscovery } from './provider-discovery.ts';
import type { ProviderKeys } from './provider-keys.ts';
import { refuseUndecodableJwt, TokenRefused, verifyProviderJwt, type TokenRule } from './provider-jwt.ts';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/**
 * The token types a logout token may declare (`typ`, compared as RFC 7515 §4.1.9 says, in
 * verifyProviderJwt): `logout+jwt`, which Back-Channel Logout 1.0 §2.4 recommends, or
 * plain `JWT`, which providers send too (Keycloak: https://github.com/keycloak/keycloak/issues/28939).
 * A token without `typ` is taken. Any other declared type is a JWT made for something else
 * (an access token's `at+jwt`, say), refused as §4.1 (Cross-JWT Confusion) advises.
 */
const LOGOUT_TOKEN_TYPES = new Set(['logout+jwt', 'jwt']);
/** How old a logout token may be; with the clock skew, also how long its `jti` is remembered. */
const MAX_TOKEN_AGE_SECONDS = 300;

/**
 * LogoutTokenVerifier on `jose`, following OpenID Connect Back-Channel Logout 1.0 §2.6: the checks
 * shared with ID tokens (signature with the provider's keys, a logout token's type if it declares
 * one, issuer rule, audience, times), then the logout event, no `nonce`, a `jti`, and a `sid` or
 * `sub`. MSAL cannot do this: it only decodes tokens.
 */
export class JoseLogoutTokenVerifier implements LogoutTokenVerifier {
  readonly #clientId: string;
  readonly #discovery: ProviderDiscovery;
  readonly #keys: ProviderKeys;
  readonly #clockSkewSeconds: number;

  constructor(deps: { clientId: string; providerDiscovery: ProviderDiscovery; providerKeys: ProviderKeys; clockSkewSeconds: number }) {
    this.#clientId = deps.clientId;
    this.#discovery = deps.providerDiscovery;
    this.#keys = deps.providerKeys;
    this.#clockSkewSeconds = deps.clockSkewSeconds;
  }

  async verify(logoutToken: string): Promise<LogoutTokenClaims> {
    try {
      refuseUndecodableJwt(logoutToken);
      const payload = await verifyProviderJwt(logoutToken, await this.#discovery.get(), this.#keys, {
        clientId: this.#clientId,
        clockSkewSeconds: this.#clockSkewSeconds,
        maxAgeSeconds: MAX_TOKEN_AGE_SECONDS,
        declaredTypes: LOGOUT_TOKEN_TYPES,
        tenantFromIssuer: true,
      });
      const events = payload.events as Record<string, unknown> | undefined;
      const event = events?.[BACKCHANNEL_LOGOUT_EVENT];
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw refused('events', 'no back-channel logout event');
      if ('nonce' in payload) throw refused('nonce', 'a logout token must not carry a nonce');
      if (typeof payload.jti !== 'string' || !payload.jti) throw refused('jti', 'no jti');
      const sid = optionalName(payload, 'sid');
      const subject = optionalName(payload, 'sub');
      if (!sid && !subject) throw refused('sid-or-sub', 'names neither a session (sid) nor a user (sub)');
      return {
        jti: payload.jti,
        sid,
        subject,
        replayableUntil: (payload.iat! + MAX_TOKEN_AGE_SECONDS + this.#clockSkewSeconds) * 1000,
      };
    } catch (error) {
      if (!(error instanceof TokenRefused)) throw error;
      throw new SignOutRejected(`The logout token is not valid (${error.rule}).`, { cause: error, reason: error.rule });
    }
  }
}

/**
 * A `sid` or `sub` claim: absent, or a non-empty string. Anything else refuses the token: read as
 * absent, a malformed `sid` next to a `sub` would widen the sign-out to every session of the user.
 */
function optionalName(payload: Record<string, unknown>, claim: 'sid' | 'sub'): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw refused('sid-or-sub', `${claim} is not a non-empty string`);
  return value;
}

function refused(rule: TokenRule, detail: string): TokenRefused {
  return new TokenRefused(rule, detail);
}
