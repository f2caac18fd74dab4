/**
 * A post-sign-in destination on this site, or `undefined` for anything else: only a path starting
 * with a single `/`, with no scheme, host, backslash or control character, that stays such a path
 * once dot segments are resolved (no open redirect).
 */
export function sameSitePath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 2048) return undefined;
  if (!candidate.startsWith('/') || candidate.startsWith('//')) return undefined;
  // Browsers treat '\' like '/', so '/\evil.example' would leave the site.
  if (/[\\\u0000-\u001f\u007f]/.test(candidate)) return undefined;
  const parsed = new URL(candidate, 'http://same-origin.invalid');
  if (parsed.origin !== 'http://same-origin.invalid') return undefined;
  const normalized = parsed.pathname + parsed.search + parsed.hash;
  // Dot segments are resolved only now: '/..//evil.example' becomes '//evil.example'.
  return normalized.startsWith('//') || normalized.startsWith('/\\') ? undefined : normalized;
}
