import type { Middleware } from 'koa';

/**
 * Paths shaped like Microsoft Entra ID v2 under `/<tenantId>`, so the web app is configured for the
 * dev provider exactly as for Entra (authority `https://<host>/<tenantId>/v2.0`).
 *
 * The provider is not mounted under a prefix: its `routes` option takes these full paths, and the
 * issuer is only a string it puts in tokens and discovery. The one path `routes` cannot set is
 * discovery (fixed at `/.well-known/openid-configuration`), hence `discoveryAlias`.
 * `entraPaths('common')` names the `common` front door's paths the same way.
 */
export function entraPaths(tenantId: string) {
  const tenant = `/${encodeURIComponent(tenantId)}`;
  return {
    issuerPath: `${tenant}/v2.0`,
    discovery: `${tenant}/v2.0/.well-known/openid-configuration`,
    /** The dev provider's own login/consent pages (Entra's live on login.microsoftonline.com too). */
    interactions: `${tenant}/login`,
    routes: {
      authorization: `${tenant}/oauth2/v2.0/authorize`,
      token: `${tenant}/oauth2/v2.0/token`,
      end_session: `${tenant}/oauth2/v2.0/logout`,
      jwks: `${tenant}/discovery/v2.0/keys`,
      // RFC 7009; Entra has no such endpoint. Served only with the `revocation` option.
      revocation: `${tenant}/oauth2/v2.0/revoke`,
      // Entra's is https://graph.microsoft.com/oidc/userinfo, on another host, one for all tenants:
      // here too, and requests are routed to a tenant by their token.
      userinfo: '/oidc/userinfo',
    },
  } as const;
}

export type EntraPaths = ReturnType<typeof entraPaths>;

/** Serves the provider's discovery document at the Entra-shaped `<issuer>/.well-known/openid-configuration`. */
export function discoveryAlias(paths: EntraPaths): Middleware {
  return async (ctx, next) => {
    // Rewriting the path is safe: the provider computes its endpoint URLs from `routes`, and
    // plain node:http requests carry no `originalUrl` it could mistake for a mount prefix.
    if (ctx.path === paths.discovery) ctx.path = '/.well-known/openid-configuration';
    await next();
  };
}
