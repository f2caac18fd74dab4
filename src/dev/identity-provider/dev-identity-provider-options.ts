/** A confidential web app registered with the dev identity provider (like an Entra app registration). */
export interface DevClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** Loaded in a hidden iframe with `?sid=` when the user signs out anywhere (Entra's "Front-channel logout URL"). */
  readonly frontchannelLogoutUri?: string;
  /** Receives a POSTed `logout_token` (OIDC Back-Channel Logout; Entra never sends this). */
  readonly backchannelLogoutUri?: string;
}

export interface DevIdentityProviderOptions {
  /** Default 5443. 0 picks a free port (tests); the issuer then carries the port actually bound. */
  readonly port?: number;
  readonly host?: 'localhost';
  /** Where the TLS certificate, signing keys, cookie keys and stored sessions/tokens live. */
  readonly dataDir: string;
  readonly tenantId?: string;
  readonly clients: readonly DevClient[];
  /** Entra sends only `sid` to front-channel logout URLs; set true to also send `iss` (spec-conformant). */
  readonly sendIssInFrontChannel?: boolean;
  /** Lifetime of issued access tokens; tests make it short to exercise refresh. Default 3600. */
  readonly accessTokenTtlSeconds?: number;
  /** The demo API's identifier: access token `aud` and prefix of its scopes. Default `api://demo-api`. */
  readonly apiAudience?: string;
  /**
   * Scope names the demo API defines, without the audience prefix. Default `['Profile.Read', 'Profile.Write']`:
   * the second one lets the app show incremental consent.
   */
  readonly apiScopes?: readonly string[];
}

export interface DevIdentityProvider {
  /** `https://localhost:<port>/<tenantId>/v2.0`, the MSAL authority; discovery is `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** `https://localhost:<port>/<tenantId>/discovery/v2.0/keys`, for resource servers (the demo API). */
  readonly jwksUri: string;
  /** PEM of the self-signed certificate; trust it with `NODE_EXTRA_CA_CERTS` or a `ca:` option. */
  readonly caCertPath: string;
  close(): Promise<void>;
}

/** A fixed tenant id, so issuer and homeAccountIds stay stable across restarts. */
export const DEFAULT_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const DEFAULT_PORT = 5443;
export const DEFAULT_API_AUDIENCE = 'api://demo-api';
export const DEFAULT_API_SCOPES: readonly string[] = ['Profile.Read', 'Profile.Write'];
