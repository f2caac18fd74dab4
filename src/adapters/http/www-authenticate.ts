/**
 * The claims request of a claims challenge, decoded, or `undefined`:
 * `WWW-Authenticate: Bearer realm="", error="insufficient_claims", claims="<base64 JSON>"`
 * (Microsoft identity platform "claims challenge" for Conditional Access / CAE). Parameter values
 * may be quoted strings or bare tokens (RFC 9110 §11.2, `auth-param`). Claims that are not a JSON
 * object (OpenID Connect Core §5.5: the `claims` request is one) are no claims challenge: the
 * answer is then a plain 401.
 */
export function parseClaimsChallenge(header: string | null): string | undefined {
  if (!header) return undefined;
  const params = new Map<string, string>();
  for (const match of header.matchAll(/([a-zA-Z_]+)\s*=\s*(?:"([^"]*)"|([^\s,"]+))/g)) {
    params.set(match[1]!.toLowerCase(), match[2] ?? match[3]!);
  }
  if (params.get('error') !== 'insufficient_claims') return undefined;
  const encoded = params.get('claims');
  if (!encoded) return undefined;
  try {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const claims: unknown = JSON.parse(decoded);
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? decoded : undefined;
  } catch {
    return undefined;
  }
}
