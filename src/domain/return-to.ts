/**
 * Keeps a post-sign-in destination on this site: a path starting with a single `/`, with no
 * scheme, host, backslash or control character. Anything else becomes `/` (no open redirect).
 */
export function safeReturnTo(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 2048) return '/';
  if (!candidate.startsWith('/') || candidate.startsWith('//')) return '/';
  // Browsers treat '\' like '/', so '/\evil.example' would leave the site.
  if (/[\\\u0000-\u001f\u007f]/.test(candidate)) return '/';
  const parsed = new URL(candidate, 'http://same-origin.invalid');
  if (parsed.origin !== 'http://same-origin.invalid') return '/';
  const normalized = parsed.pathname + parsed.search + parsed.hash;
  // Dot segments are resolved only now: '/..//evil.example' becomes '//evil.example'.
  return normalized.startsWith('//') || normalized.startsWith('/\\') ? '/' : normalized;
}
