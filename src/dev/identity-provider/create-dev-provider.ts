import Provider from 'oidc-provider';
import { commonDiscovery } from './common/common-discovery.ts';
import { clientInfo } from './client-info.ts';
import { recordClaims } from './claims-recorder.ts';
import type { ClaimsRecorder } from './claims-recorder.ts';
import { consentRequiredOnRefresh } from './consent-required.ts';
import { discoveryAlias } from './entra-paths.ts';
import { frontChannelLogout } from './front-channel-logout.ts';
import { interactions } from './interactions.ts';
import { providerConfiguration } from './provider-configuration.ts';
import type { DevProviderSettings } from './provider-configuration.ts';
import { stripOfflineAccessOnRefresh } from './refresh-scope.ts';
import { revokedRefreshTokenOnRefresh, type RevokedRefreshTokens } from './revoked-refresh-token.ts';
import type { SignInTickets } from './sign-in-tickets.ts';

export interface DevProviderExtras {
  readonly sendIssInFrontChannel: boolean;
  readonly claimsRecorder: ClaimsRecorder;
  readonly signInTickets: SignInTickets;
  readonly revokedRefreshTokens: RevokedRefreshTokens;
}

/**
 * One tenant's oidc-provider instance with the dev provider's additions around it. oidc-provider
 * runs the `use`d middleware before its router, in order: each either answers a path the provider
 * does not own, adjusts the request on the way in, or adjusts the provider's response on the way out.
 */
export function createDevProvider(issuer: string, settings: DevProviderSettings & DevProviderExtras): Provider {
  const { paths, tenant } = settings;
  const provider = new Provider(issuer, providerConfiguration(settings));
  alwaysIncludeSid(provider);

  provider.use(commonDiscovery(tenant.tenantId));
  provider.use(discoveryAlias(paths));
  provider.use(interactions(provider, { prefix: paths.interactions, tenant, tickets: settings.signInTickets }));
  provider.use(recordClaims(settings.claimsRecorder, paths.routes));
  provider.use(stripOfflineAccessOnRefresh(paths.routes.token));
  provider.use(clientInfo(tenant.tenantId));
  provider.use(consentRequiredOnRefresh());
  provider.use(revokedRefreshTokenOnRefresh(settings.revokedRefreshTokens));
  provider.use(frontChannelLogout(provider, { issuer, sendIss: settings.sendIssInFrontChannel }));
  return provider;
}

/**
 * Puts `sid` in every id_token, as Entra does. oidc-provider adds it only for clients registered
 * for back-channel logout with `backchannel_logout_session_required`, or when the app requests it
 * with the claims parameter; but the web app needs it to match front-channel logout requests.
 * `provider.Client` is a class of this provider alone, so no other provider is affected.
 */
function alwaysIncludeSid(provider: Provider): void {
  (provider.Client.prototype as unknown as { includeSid(): boolean }).includeSid = () => true;
}
