import { isClaimsRequest } from '../../domain/claims-challenge.ts';

/**
 * The claims request of a claims challenge, decoded, or `undefined`:
 * `WWW-Authenticate: Bearer realm="", error="insufficient_claims", claims="<base64 JSON>"`
 * (Microsoft identity platform "claims challenge" for Conditional Access / CAE). Only a `Bearer`
 * challenge's own parameters count: the header may hold several challenges (RFC 9110 §11.6.1), and
 * another scheme's `error` or `claims` says nothing about Bearer. Claims that are not a claims
 * request (OpenID Connect Core §5.5: a JSON object whose members are objects) are no claims
 * challenge: the answer is then a plain 401. Passed on, `{"access_token":"x"}` made MSAL throw
 * while it added the app's client capabilities to the sign-in request (a 500 on every load).
 */
export function parseClaimsChallenge(header: string | null): string | undefined {
  if (!header) return undefined;
  const bearer = parseChallenges(header).find(
    (challenge) => challenge.scheme === 'bearer' && challenge.params.get('error') === 'insufficient_claims' && challenge.params.get('claims'),
  );
  if (!bearer) return undefined;
  const decoded = Buffer.from(bearer.params.get('claims')!, 'base64').toString('utf8');
  return isClaimsRequest(decoded) ? decoded : undefined;
}

/** One challenge of a `WWW-Authenticate` header: its scheme and parameter names lower-cased. */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
  readonly token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

/**
 * The challenges of a `WWW-Authenticate` header by RFC 9110 §11.2 and §11.6.1:
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 * A quoted-string may hold `\"` and `\\` (quoted-pair, §5.6.4); a parameter named twice in one
 * challenge keeps its first value (§11.2: each name at most once); empty list elements are
 * skipped (§5.6.1); an unquoted value is read up to the next space, comma or quote (base64 sent
 * bare holds characters no token does). Reading stops at the first thing that fits no rule (an
 * unterminated quoted string, a value followed by something else), keeping what was read before.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let at = 0;
  const skip = (chars: string) => {
    while (at < header.length && chars.includes(header[at]!)) at++;
  };
  const token = (): string => {
    const start = at;
    while (at < header.length && TCHAR.test(header[at]!)) at++;
    return header.slice(start, at);
  };
  const quotedString = (): string | undefined => {
    let value = '';
    for (at++; at < header.length; at++) {
      const char = header[at]!;
      if (char === '"') {
        at++;
        return value;
      }
      if (char === '\\') at++;
      value += header[at] ?? '';
    }
    return undefined; // unterminated
  };
  // An unquoted value: a token, read liberally up to the next space, comma or quote, so that base64
  // sent without quotes (`claims=eyJ...==`, with `/`, `+` and `=`, none of them token characters)
  // is read whole rather than cut short.
  const bareValue = (): string => {
    if (header[at] === '=') return ''; // `abc==`: a token68's padding, not a parameter
    const start = at;
    while (at < header.length && !' \t,"'.includes(header[at]!)) at++;
    return header.slice(start, at);
  };
  const atListEnd = () => {
    skip(' \t');
    return at >= header.length || header[at] === ',';
  };
  /**
   * `name = value` at the current position, ending the list element, or `undefined` with the
   * position unchanged.
   */
  const authParam = (): [string, string] | undefined => {
    const start = at;
    const name = token();
    skip(' \t');
    if (name && header[at] === '=') {
      at++;
      skip(' \t');
      const value = header[at] === '"' ? quotedString() : bareValue() || undefined;
      if (value !== undefined && atListEnd()) return [name.toLowerCase(), value];
    }
    at = start;
    return undefined;
  };

  for (;;) {
    skip(' \t,');
    if (at >= header.length) return challenges;
    const scheme = token();
    // A scheme is followed by a space or ends its element; `claims=...` here is a stray parameter.
    if (!scheme || (at < header.length && !' \t,'.includes(header[at]!))) return challenges;
    const params = new Map<string, string>();
    skip(' ');
    let first = authParam();
    if (!first && header[at] === ',') {
      // Empty list elements before the first parameter (`Bearer , error=...`), which a recipient
      // must accept (RFC 9110 §5.6.1); a scheme alone followed by the next challenge stays so.
      const comma = at;
      skip(', \t');
      first = authParam();
      if (!first) at = comma;
    }
    if (first) {
      params.set(...first);
      // Further parameters, until what follows a comma is the next challenge's scheme.
      while (atListEnd() && at < header.length) {
        const comma = at;
        skip(', \t');
        const next = authParam();
        if (!next) {
          at = comma;
          break;
        }
        if (!params.has(next[0])) params.set(...next);
      }
      challenges.push({ scheme: scheme.toLowerCase(), params });
    } else {
      // A token68 is the challenge's whole rest: it must end the list element.
      const start = at;
      let token68 = TOKEN68.exec(header.slice(at))?.[0];
      if (token68) at += token68.length;
      if (token68 && !atListEnd()) {
        at = start;
        token68 = undefined;
      }
      challenges.push({ scheme: scheme.toLowerCase(), params, ...(token68 ? { token68 } : {}) });
    }
    if (!atListEnd()) return challenges;
  }
}
