/**
 * The claims request of a claims challenge, decoded, or `undefined`:
 * `WWW-Authenticate: Bearer realm="", error="insufficient_claims", claims="<base64 JSON>"`
 * (Microsoft identity platform "claims challenge" for Conditional Access / CAE).
 */
export function parseClaimsChallenge(header: string | null): string | undefined {
  if (!header) return undefined;
  const params = new Map<string, string>();
  for (const match of header.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params.set(match[1]!.toLowerCase(), match[2]!);
  if (params.get('error') !== 'insufficient_claims') return undefined;
  const encoded = params.get('claims');
  if (!encoded) return undefined;
  try {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    JSON.parse(decoded);
    return decoded;
  } catch {
    return undefined;
  }
}
