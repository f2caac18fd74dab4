/**
 * What a claims challenge from a Continuous Access Evaluation resource asks for. A revocation
 * challenge asks for an access token issued after an instant (`nbf`):
 * `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`: the user's session was
 * revoked (password reset, admin "revoke sessions", user disabled), so every token the app holds
 * for them is dead. Any other challenge (e.g. `acrs`, an authentication context: step-up) asks for
 * more, and leaves the tokens the user's other devices rely on alone.
 */
export function isRevocationChallenge(claims: string | undefined): boolean {
  if (!claims) return false;
  try {
    const nbf = (JSON.parse(claims) as { access_token?: { nbf?: { essential?: unknown } } }).access_token?.nbf;
    return typeof nbf === 'object' && nbf !== null && nbf.essential === true;
  } catch {
    return false;
  }
}
