import type { Configuration } from 'oidc-provider';
import { frontchannelLogoutMetadata, toClientMetadata } from './client-metadata.ts';
import { demoApiResourceIndicators } from './demo-api-resource.ts';
import type { DemoApiResource } from './demo-api-resource.ts';
import { DEMO_CLAIMS, entraAccessTokenClaims, findDemoAccount } from './demo-account.ts';
import type { DevClient } from './dev-identity-provider-options.ts';
import { escapeHtml, sendPage } from './html.ts';
import { entraInteractionPolicy } from './interaction-policy.ts';
import { createJsonFileAdapter } from './json-file-adapter.ts';
import { loopbackFriendlyFetch } from './loopback-fetch.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import type { ProviderSecrets } from './provider-secrets.ts';
import type { entraPaths } from './entra-paths.ts';

export interface DevProviderSettings {
  readonly tenantId: string;
  readonly paths: ReturnType<typeof entraPaths>;
  readonly secrets: ProviderSecrets;
  readonly storeFile: string;
  readonly clients: readonly DevClient[];
  readonly api: DemoApiResource;
}

const DAY = 24 * 3600;

/** oidc-provider configuration that makes it behave, from a web app's point of view, like Entra ID v2. */
export function providerConfiguration(settings: DevProviderSettings): Configuration {
  const { tenantId, paths, secrets, api } = settings;
  return {
    adapter: createJsonFileAdapter(settings.storeFile),
    jwks: secrets.jwks as Configuration['jwks'],
    // Own names: browsers share cookies between ports, and the web app also lives on localhost.
    cookies: { keys: secrets.cookieKeys, names: { session: 'dev_idp_session', interaction: 'dev_idp_interaction', resume: 'dev_idp_resume' } },
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
    },
    renderError(ctx, out) {
      const details = Object.entries(out).map(([key, value]) => `<p><code>${escapeHtml(key)}</code>: ${escapeHtml(value)}</p>`).join('');
      sendPage(ctx, 'Sign-in error', details, ctx.status >= 400 ? ctx.status : 400);
    },
  };
}
