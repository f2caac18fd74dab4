import type { Middleware } from 'koa';
import type { OIDCContext } from 'oidc-provider';

/**
 * Answers a refresh for a scope the user never consented to the way Entra does:
 * `invalid_grant` with `suberror: consent_required` (AADSTS65001), instead of oidc-provider's
 * `invalid_scope`.
 *
 * It matters because MSAL turns only the Entra shape into an InteractionRequiredAuthError, which is
 * what makes the web app send the user to the consent page for the new scope (incremental consent).
 */
export function consentRequiredOnRefresh(): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: OIDCContext }).oidc;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (oidc?.route !== 'token' || ctx.status !== 400 || body?.['error'] !== 'invalid_scope') return;
    if (oidc.params?.['grant_type'] !== 'refresh_token') return;
    ctx.body = {
      error: 'invalid_grant',
      error_description: `AADSTS65001: The user or administrator has not consented to use the application. (dev provider: ${String(body['error_description'] ?? '')})`,
      suberror: 'consent_required',
    };
  };
}
