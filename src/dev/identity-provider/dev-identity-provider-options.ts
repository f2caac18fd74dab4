import { DEMO_API_AUDIENCE, DEMO_API_SCOPE_NAMES, DEV_PORTS } from '../dev-defaults.ts';
import type { SignInRevocations } from '../sign-in-revocations.ts';
import type { SessionRevocation } from './admin/revoke-user-sessions.ts';
import type { RequestedClaims } from './claims-recorder.ts';

export { CONTOSO_TENANT_ID as DEFAULT_TENANT_ID } from '../demo-tenants.ts';

/** A confidential web app registered with the dev identity provider (like an Entra app registration, multi-tenant: it exists in every tenant). */
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
  /**
   * Rotate refresh tokens: every refresh returns a new one and consumes the old; presenting a
   * consumed one again revokes the whole grant, the new token included (reuse detection, as Auth0,
   * Okta and Keycloak can do). Default false: Entra does not do this.
   */
  readonly rotateRefreshTokens?: boolean;
  /**
   * Serve RFC 7009 token revocation at `/<tenant>/oauth2/v2.0/revoke` (and `/common/...`), advertised
   * as `revocation_endpoint`. Default false: Entra has no such endpoint.
   */
  readonly revocation?: boolean;
}

/** One tenant as the provider serves it. */
export interface DevTenant {
  readonly tenantId: string;
  readonly displayName: string;
  /** `https://localhost:<port>/<tenantId>/v2.0`: a single-tenant authority, and the `iss` of every token of this tenant's users. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** Sign-in names (`username`) of the demo users who belong to this tenant. */
  readonly usernames: readonly string[];
}

export interface DevIdentityProvider {
  /** The default tenant's issuer `https://localhost:<port>/<tenantId>/v2.0`, the MSAL authority; discovery is `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** `https://localhost:<port>/<tenantId>/discovery/v2.0/keys`, for resource servers (the demo API). Every tenant signs with these keys. */
  readonly jwksUri: string;
  /** PEM of the self-signed certificate; trust it with `NODE_EXTRA_CA_CERTS` or a `ca:` option. */
  readonly caCertPath: string;
  /**
   * `https://localhost:<port>/common/v2.0`: the multi-tenant authority. Its discovery publishes the
   * issuer template `https://localhost:<port>/{tenantid}/v2.0`; tokens carry the user's tenant issuer.
   */
  readonly commonAuthority: string;
  /** Every tenant, the default one first. */
  readonly tenants: readonly DevTenant[];
  /** Entra's "Revoke sessions" for one user (username or sign-in name); rejects for an unknown user. */
  revokeUserSessions(username: string): Promise<SessionRevocation>;
  /** What the demo API consults to answer revoked users' older access tokens with a CAE challenge. */
  readonly signInRevocations: SignInRevocations;
  /** The `claims` parameter of the last authorization and token requests (e.g. to see that an app declared `cp1`). */
  readonly requestedClaims: RequestedClaims;
  close(): Promise<void>;
}

export const DEFAULT_PORT = DEV_PORTS.identityProvider;
export const DEFAULT_API_AUDIENCE = DEMO_API_AUDIENCE;
export const DEFAULT_API_SCOPES = DEMO_API_SCOPE_NAMES;
