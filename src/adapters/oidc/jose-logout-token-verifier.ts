import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { IdentityProviderUnavailable, SignOutRejected } from '../../domain/errors.ts';
import type { LogoutTokenClaims, LogoutTokenVerifier } from '../../ports/logout-token-verifier.port.ts';
import type { ProviderMetadata } from '../msal/provider-metadata.ts';

const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How old a logout token may be; also how long its `jti` is remembered. */
const MAX_TOKEN_AGE_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * LogoutTokenVerifier on `jose`, following OpenID Connect Back-Channel Logout 1.0 section 2.6,
 * with the provider's keys from its discovery document (cached by jose, refetched on an unknown
 * `kid`). MSAL cannot do this: it only decodes tokens.
 */
export class JoseLogoutTokenVerifier implements LogoutTokenVerifier {
  private readonly clientId: string;
  private readonly providerMetadata: ProviderMetadata;
  private readonly timeoutMs: number;
  private keys: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(deps: { clientId: string; providerMetadata: ProviderMetadata; httpTimeoutMs: number }) {
    this.clientId = deps.clientId;
    this.providerMetadata = deps.providerMetadata;
    this.timeoutMs = deps.httpTimeoutMs;
  }

  async verify(logoutToken: string): Promise<LogoutTokenClaims> {
    const metadata = await this.providerMetadata.get();
    this.keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: this.timeoutMs });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(logoutToken, this.keys, {
        issuer: metadata.issuer,
        audience: this.clientId,
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || (error instanceof Error && !(error instanceof errors.JOSEError))) {
        throw new IdentityProviderUnavailable('the provider keys could not be fetched', { cause: error });
      }
      throw new SignOutRejected(`The logout token is not valid (${(error as errors.JOSEError).code}).`);
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = events?.[BACKCHANNEL_LOGOUT_EVENT];
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new SignOutRejected('The logout token has no back-channel logout event.');
    }
    if ('nonce' in payload) throw new SignOutRejected('A logout token must not carry a nonce.');
    const sid = typeof payload.sid === 'string' && payload.sid ? payload.sid : undefined;
    const subject = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
    if (!sid && !subject) throw new SignOutRejected('The logout token names neither a session (sid) nor a user (sub).');
    if (typeof payload.jti !== 'string' || !payload.jti) throw new SignOutRejected('The logout token has no jti.');
    return {
      jti: payload.jti,
      sid,
      subject,
      replayableUntil: (payload.iat! + MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000,
    };
  }
}
