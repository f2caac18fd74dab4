import type { ClientMetadata } from 'oidc-provider';
import type { DevClient } from './dev-identity-provider-options.ts';

/**
 * A dev client as oidc-provider client metadata: a confidential web app using the code flow with
 * refresh tokens, authenticating with `client_secret_post` (what MSAL Node sends).
 * `backchannel_logout_session_required` puts `sid` into its logout tokens so the app can find the
 * session without a cookie.
 */
export function toClientMetadata(client: DevClient): ClientMetadata {
  return {
    client_id: client.clientId,
    client_secret: client.clientSecret,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...(client.frontchannelLogoutUri ? { frontchannel_logout_uri: client.frontchannelLogoutUri } : {}),
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
  };
}

/** `extraClientMetadata`: oidc-provider 9 no longer knows `frontchannel_logout_uri`, so it is declared and checked here. */
export const frontchannelLogoutMetadata = {
  properties: ['frontchannel_logout_uri'],
  validator(_ctx: unknown, key: string, value: unknown): void {
    if (key !== 'frontchannel_logout_uri' || value === undefined) return;
    const url = typeof value === 'string' ? URL.parse(value) : null;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash) {
      throw new TypeError('frontchannel_logout_uri must be an absolute http(s) URL without a fragment');
    }
  },
};
