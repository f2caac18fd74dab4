import type { Middleware } from 'koa';
import type { OIDCContext } from 'oidc-provider';

/** What the middleware asks: whether a refresh token was removed by "Revoke sessions". */
export interface RevokedRefreshTokens {
  refreshTokenRevoked(value: string): boolean;
}

/**
 * Answers a refresh with a token "Revoke sessions" removed the way Entra does after
 * `revokeSignInSessions` or a password reset: `invalid_grant` with AADSTS50173 in `error_codes`,
 * instead of oidc-provider's bare `invalid_grant`. The web app takes that error number for the
 * user's sessions revoked and ends every session of the account (a plain `invalid_grant`, an
 * expired token, sends only that browser to sign in).
 */
export function revokedRefreshTokenOnRefresh(revoked: RevokedRefreshTokens): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: OIDCContext }).oidc;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (oidc?.route !== 'token' || ctx.status !== 400 || body?.['error'] !== 'invalid_grant') return;
    const token = oidc.params?.['refresh_token'];
    if (oidc.params?.['grant_type'] !== 'refresh_token' || typeof token !== 'string' || !revoked.refreshTokenRevoked(token)) return;
    ctx.body = {
      error: 'invalid_grant',
      error_description: 'AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. (dev provider: Revoke sessions)',
      error_codes: [50173],
    };
  };
}
