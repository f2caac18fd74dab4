import type { DevClient } from '../../../src/dev/identity-provider/dev-identity-provider-options.ts';

/** What the dev provider's sign-in and sign-out tests ask for. */
export const TEST_SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';

/** A second registered app, told of sign-outs by front-channel at `frontchannelLogoutUri`. */
export function otherApp(frontchannelLogoutUri = 'http://localhost:4000/logout'): DevClient {
  return {
    clientId: 'other-app',
    clientSecret: 'other-app-secret',
    redirectUris: ['http://localhost:4000/callback'],
    postLogoutRedirectUris: ['http://localhost:4000/'],
    frontchannelLogoutUri,
  };
}
