import Koa from 'koa';
import type { Context } from 'koa';
import { entraPaths } from '../entra-paths.ts';
import { readForm } from '../read-form.ts';
import { assertSameOrigin } from '../same-origin.ts';
import type { SignInTickets } from '../sign-in-tickets.ts';
import type { TenantInstance } from '../tenant-instance.ts';
import { routeAuthorization } from './authorization-routing.ts';
import { COMMON_SIGN_IN_PATH, completeCommonSignIn, showCommonSignIn } from './common-sign-in.ts';
import { forwardToTenant } from './forward.ts';
import { tenantForLogout } from './logout-routing.ts';
import { signedInTenants } from './signed-in-tenants.ts';
import { tenantForRevocation, tenantForTokenRequest, tenantHolding } from './token-routing.ts';

/** Entra's multi-tenant authority paths: `/common/v2.0` and its discovery, `/common/oauth2/v2.0/...`. */
export const COMMON_PATHS = entraPaths('common');

/**
 * Every request that names no tenant: the `common` authority, and the one userinfo endpoint all
 * tenants share. Each request is answered in full by exactly one tenant's provider, chosen from
 * what the request carries (hint, session cookie, code or token), so whatever the app receives
 * (tokens, `sid`, front-channel and back-channel logout) is that tenant's, with its real issuer.
 * Requests that can be routed nowhere go to the default tenant, which answers them as it always has
 * (unknown code: `invalid_grant`; unknown path: 404).
 */
export function commonFrontDoor(tenants: readonly TenantInstance[], tickets: SignInTickets): Koa {
  const defaultTenant = tenants[0]!;
  const routes = COMMON_PATHS.routes;
  /** Sends the request to the same endpoint of `tenant`. */
  const forward = (ctx: Context, tenant: TenantInstance, route: keyof typeof routes) => forwardToTenant(ctx, tenant, tenant.paths.routes[route]);
  const params = async (ctx: Context) => (ctx.method === 'POST' ? await readForm(ctx) : new URLSearchParams(ctx.querystring));

  const app = new Koa();
  app.use(async (ctx) => {
    const { path, method } = ctx;
    if (path === COMMON_PATHS.discovery && method === 'GET') {
      return forwardToTenant(ctx, defaultTenant, defaultTenant.paths.discovery);
    }
    if (path === routes.jwks) return forward(ctx, defaultTenant, 'jwks');

    if (path === routes.authorization && (method === 'GET' || method === 'POST')) {
      const request = await params(ctx);
      const route = routeAuthorization(request, tenants, await signedInTenants(tenants, ctx.req, ctx.res));
      if (route.to === 'tenant') return forward(ctx, route.tenant, 'authorization');
      // An app the provider does not know, or a redirect_uri not registered for it, is refused before
      // any password is asked for, as Entra does (AADSTS700016): the default tenant gives its error page.
      if (!(await registeredRequest(defaultTenant, request))) return forward(ctx, defaultTenant, 'authorization');
      return showCommonSignIn(ctx, request);
    }
    if (path === COMMON_SIGN_IN_PATH) {
      if (method === 'GET') return showCommonSignIn(ctx, new URLSearchParams(ctx.querystring));
      if (method !== 'POST') return ctx.throw(405);
      assertSameOrigin(ctx);
      return completeCommonSignIn(ctx, tickets, routes.authorization);
    }
    if (path === routes.token && method === 'POST') {
      return forward(ctx, (await tenantForTokenRequest(tenants, await readForm(ctx))) ?? defaultTenant, 'token');
    }
    if (path === routes.revocation && method === 'POST') {
      return forward(ctx, (await tenantForRevocation(tenants, await readForm(ctx))) ?? defaultTenant, 'revocation');
    }
    if (path === routes.end_session && (method === 'GET' || method === 'POST')) {
      return forward(ctx, tenantForLogout(await params(ctx), tenants, await signedInTenants(tenants, ctx.req, ctx.res)), 'end_session');
    }
    if (path === routes.userinfo) {
      // oidc-provider's userinfo tokens are opaque: only the issuing tenant's store holds them.
      const token = /^Bearer (\S+)$/i.exec(ctx.get('authorization'))?.[1];
      return forward(ctx, (await tenantHolding(tenants, 'AccessToken', token)) ?? defaultTenant, 'userinfo');
    }
    return forwardToTenant(ctx, defaultTenant, path);
  });
  return app;
}

/** Whether `request` names a client every tenant has (they share one registration) and one of its redirect URIs. */
async function registeredRequest(tenant: TenantInstance, request: URLSearchParams): Promise<boolean> {
  const clientId = request.get('client_id');
  const redirectUri = request.get('redirect_uri');
  if (!clientId || !redirectUri) return false;
  const client = await tenant.provider.Client.find(clientId).catch(() => undefined);
  return client?.redirectUriAllowed(redirectUri) ?? false;
}

