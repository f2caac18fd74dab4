import { errors } from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
import { frontchannelLogoutMetadata, toClientMetadata } from './client-metadata.ts';
import { demoApiResourceIndicators } from './demo-api-resource.ts';
import type { DemoApiResource } from './demo-api-resource.ts';
import type { DemoTenant } from '../demo-tenants.ts';
import { DEMO_CLAIMS, entraAccessTokenClaims, findDemoAccount } from './demo-account.ts';
import type { DevClient } from './dev-identity-provider-options.ts';
import type { EntraPaths } from './entra-paths.ts';
import { escapeHtml, sendPage } from './html.ts';
import { entraInteractionPolicy } from './interaction-policy.ts';
import type { JsonFileStore } from './json-file-store.ts';
import { loopbackFriendlyFetch } from './loopback-fetch.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import type { ProviderSecrets } from './provider-secrets.ts';

/** One tenant's provider. Every tenant gets the same keys and the same client registrations (a multi-tenant app). */
export interface DevProviderSettings {
  readonly tenant: DemoTenant;
  /** The default tenant keeps the cookie names the single-tenant provider always used. */
  readonly isDefaultTenant: boolean;
  readonly paths: EntraPaths;
  readonly secrets: ProviderSecrets;
  readonly store: JsonFileStore;
  readonly clients: readonly DevClient[];
  readonly api: DemoApiResource;
  /** oidc-provider `rotateRefreshToken`: a new refresh token on every use; reusing an old one revokes the grant. */
  readonly rotateRefreshTokens: boolean;
  /** RFC 7009 `features.revocation`. */
  readonly revocation: boolean;
}

const DAY = 24 * 3600;

/** oidc-provider's words for a "Sign out?" form it no longer takes (`checkXsrf` in lib/shared/xsrf.js). */
const STALE_SIGN_OUT_FORM = new Set(['could not find logout details', 'xsrf token invalid']);

/** oidc-provider configuration that makes it behave, from a web app's point of view, like Entra ID v2. */
export function providerConfiguration(settings: DevProviderSettings): Configuration {
  const { tenant: { tenantId }, paths, secrets, api } = settings;
  return {
    adapter: settings.store.adapter,
    jwks: secrets.jwks as Configuration['jwks'],
    cookies: { keys: secrets.cookieKeys, names: cookieNames(tenantId, settings.isDefaultTenant) },
    clients: settings.clients.map(toClientMetadata),
    extraClientMetadata: frontchannelLogoutMetadata,
    routes: paths.routes,
    interactions: { url: (_ctx, interaction) => `${paths.interactions}/${interaction.uid}`, policy: entraInteractionPolicy() },
    findAccount: findDemoAccount(tenantId),
    claims: DEMO_CLAIMS,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    // Entra puts the profile claims in the id_token; oidc-provider by default keeps them for userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Explicit either way: oidc-provider's default rotates once 70% of a token's lifetime has passed
    // (https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/helpers/defaults.js, `rotateRefreshToken`).
    rotateRefreshToken: settings.rotateRefreshTokens,
    extraTokenClaims: entraAccessTokenClaims(tenantId, api.audience),
    fetch: loopbackFriendlyFetch,
    discovery: { frontchannel_logout_supported: true, frontchannel_logout_session_supported: true, tenant_region_scope: 'NA' },
    ttl: {
      AccessToken: api.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      RefreshToken: 14 * DAY,
      Session: 14 * DAY,
      Grant: 14 * DAY,
    },
    features: {
      devInteractions: { enabled: false },
      // Not offered by Entra; off so discovery lists no endpoint outside the Entra shapes.
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: demoApiResourceIndicators(api),
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      backchannelLogout: { enabled: true },
      revocation: {
        enabled: settings.revocation,
        // oidc-provider's default rule, stated here so it stops printing that it should be changed
        // (https://github.com/panva/node-oidc-provider/blob/v9.13.3/lib/helpers/defaults.js, `revocationAllowedPolicy`):
        // an app may revoke only tokens issued to it (RFC 7009 §2.1).
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
    },
    renderError(ctx, out) {
      // The "Sign out?" form sent again (a double click, or a second tab's once the first was
      // answered): its one-time token is spent (`checkXsrf` in oidc-provider's
      // lib/actions/end_session.js). Said as what happened, not as a sign-in error.
      // Or a form older than another tab's "Sign out?" page, which replaced its token (`xsrf token invalid`).
      if (ctx.oidc?.route === 'end_session_confirm' && STALE_SIGN_OUT_FORM.has(String(out.error_description))) {
        return sendPage(
          ctx,
          'Sign-out page no longer valid',
          '<p>This sign-out page is no longer valid: its question was already answered, in this tab or another. Nothing more was done. Go back to the app.</p>',
          400,
        );
      }
      const details = Object.entries(out).map(([key, value]) => `<p><code>${escapeHtml(key)}</code>: ${escapeHtml(value)}</p>`).join('');
      sendPage(ctx, 'Sign-in error', details, ctx.status >= 400 ? ctx.status : 400);
    },
  };
}

/**
 * Own names: browsers share cookies between ports and the web app also lives on localhost. Each
 * tenant has its own, so one browser can be signed in to both tenants at once (as to several
 * Entra accounts); the default tenant keeps the names it always had.
 */
function cookieNames(tenantId: string, isDefaultTenant: boolean) {
  const suffix = isDefaultTenant ? '' : `_${tenantId}`;
  return { session: `dev_idp_session${suffix}`, interaction: `dev_idp_interaction${suffix}`, resume: `dev_idp_resume${suffix}` };
}
