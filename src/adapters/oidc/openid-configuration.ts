/** The parts of an OpenID Provider's discovery document (OpenID Connect Discovery 1.0 §3) this app uses. */
export interface OpenIdConfiguration {
  /** May be a template, `https://login.microsoftonline.com/{tenantid}/v2.0`, for multi-tenant authorities. */
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
  readonly revocation_endpoint?: string;
  readonly id_token_signing_alg_values_supported?: readonly string[];
  readonly [key: string]: unknown;
}
