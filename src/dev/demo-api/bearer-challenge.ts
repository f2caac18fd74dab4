/**
 * `WWW-Authenticate` values of RFC 6750 §3 and the Microsoft claims challenge. Quoted values
 * cannot contain `"` or `\`, so descriptions are cleaned, not escaped.
 */
const quoted = (value: string) => `"${value.replace(/["\\]/g, "'")}"`;

/** No credentials at all: no error code (RFC 6750 §3.1). */
export const NO_TOKEN_CHALLENGE = 'Bearer';

export function invalidToken(description: string): string {
  return `Bearer error="invalid_token", error_description=${quoted(description)}`;
}

export function insufficientScope(scope: string, description: string): string {
  return `Bearer error="insufficient_scope", scope=${quoted(scope)}, error_description=${quoted(description)}`;
}

/**
 * Entra's claims challenge (Conditional Access auth context / CAE): `claims` is standard base64 of
 * the claims request the app must pass to MSAL, e.g. `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`.
 * Without a description it is exactly the CAE shape Graph sends, `Bearer realm="", error="insufficient_claims", claims="..."`.
 */
export function insufficientClaims(claims: object, description?: string): string {
  const encoded = Buffer.from(JSON.stringify(claims)).toString('base64');
  const described = description === undefined ? '' : `, error_description=${quoted(description)}`;
  return `Bearer realm="", error="insufficient_claims"${described}, claims="${encoded}"`;
}

/**
 * The Continuous Access Evaluation revocation challenge: the user's sessions were revoked at
 * `notBefore` (epoch seconds); only a token issued from then on is accepted.
 */
export function sessionsRevoked(notBefore: number): string {
  return insufficientClaims({ access_token: { nbf: { essential: true, value: String(notBefore) } } });
}
