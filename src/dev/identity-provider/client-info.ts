import type { Middleware } from 'koa';
import type { OIDCContext } from 'oidc-provider';

/**
 * Adds Entra's `client_info` to successful token responses:
 * base64url(JSON `{"uid": <oid>, "utid": <tenantId>}`).
 *
 * MSAL builds the account's homeAccountId from it (`<oid>.<tid>`); without it MSAL falls back to
 * `sub`, and the web app would key its token cache differently offline than in production.
 * oidc-provider has no hook for extra token-response members (`extraTokenClaims` only adds claims
 * inside access tokens), so this rewrites the JSON body after the token endpoint produced it.
 */
export function clientInfo(tenantId: string): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: OIDCContext }).oidc;
    const body = ctx.body as Record<string, unknown> | undefined;
    const accountId = oidc?.entities.Account?.accountId;
    if (oidc?.route !== 'token' || ctx.status !== 200 || !body?.['access_token'] || !accountId) return;
    body['client_info'] = Buffer.from(JSON.stringify({ uid: accountId, utid: tenantId })).toString('base64url');
  };
}
