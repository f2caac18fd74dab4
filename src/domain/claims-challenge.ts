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

/**
 * Two claims requests as one: what `first` asked for with what `then` adds, each member of a
 * member object kept (`{"access_token":{"acrs":…}}` and `{"access_token":{"capolids":…}}` give
 * both); where both name the same claim, `then`'s (a step-up's `acrs` asked again with another
 * value keeps only the new one). Either one not a JSON object: `then`.
 */
export function mergeClaims(first: string | undefined, then: string): string {
  if (!first) return then;
  try {
    const a = JSON.parse(first) as unknown;
    const b = JSON.parse(then) as unknown;
    if (!isObject(a) || !isObject(b)) return then;
    const merged: Record<string, unknown> = { ...a };
    for (const [member, request] of Object.entries(b)) {
      if (!isObject(request)) continue; // not a claims request (OpenID Connect Core §5.5): ignored
      const earlier = merged[member];
      merged[member] = isObject(earlier) ? { ...earlier, ...request } : request;
    }
    return JSON.stringify(merged);
  } catch {
    return then;
  }
}

/**
 * Whether `claims` is a claims request a new authorization request can carry: a JSON object whose
 * members (`id_token`, `access_token`, `userinfo`) are objects (OpenID Connect Core §5.5).
 */
export function isClaimsRequest(claims: string | undefined): claims is string {
  if (!claims) return false;
  try {
    const parsed: unknown = JSON.parse(claims);
    return isObject(parsed) && Object.values(parsed).every(isObject);
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
