import type { Middleware } from 'koa';
import type { OIDCContext } from 'oidc-provider';
import { entraPaths } from '../entra-paths.ts';
import { pathBeforeForwarding } from './forward.ts';

const COMMON_DISCOVERY = entraPaths('common').discovery;

/**
 * Turns a tenant's discovery document into the `common` one when the request came through
 * `/common/v2.0/.well-known/openid-configuration`: the endpoints under `/<tenantId>/` move to
 * `/common/` (the front door routes each request to the right tenant), and the issuer becomes
 * the template Entra publishes for multi-tenant authorities, `https://<host>/{tenantid}/v2.0`.
 * Tokens carry the signed-in user's real tenant issuer; the app checks `iss` against the template
 * filled with the token's `tid`. Everything else (keys, algorithms, claims) is the tenant's.
 */
export function commonDiscovery(tenantId: string): Middleware {
  return async (ctx, next) => {
    await next();
    const oidc = (ctx as { oidc?: OIDCContext }).oidc;
    if (pathBeforeForwarding(ctx.req) !== COMMON_DISCOVERY || oidc?.route !== 'discovery' || ctx.status !== 200) return;
    const metadata = ctx.body as Record<string, unknown>;
    const tenantPrefix = `/${tenantId}/`;
    for (const [name, value] of Object.entries(metadata)) {
      const url = typeof value === 'string' && value.startsWith('https://') ? new URL(value) : undefined;
      if (url?.pathname.startsWith(tenantPrefix)) {
        url.pathname = `/common/${url.pathname.slice(tenantPrefix.length)}`;
        metadata[name] = url.href;
      }
    }
    // Literal braces: `new URL` would percent-encode them.
    metadata['issuer'] = `${new URL(String(metadata['issuer'])).origin}/{tenantid}/v2.0`;
  };
}
