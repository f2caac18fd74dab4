/**
 * A post-sign-in destination on this site, or `undefined` for anything else: only a path starting
 * with a single `/`, with no scheme, host, backslash or control character, that stays such a path
 * once dot segments are resolved (no open redirect), and at most 2048 characters once
 * percent-encoded.
 */
export function sameSitePath(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > MAX_LENGTH) return undefined;
  if (!candidate.startsWith('/') || candidate.startsWith('//')) return undefined;
  // Browsers treat '\' like '/', so '/\evil.example' would leave the site.
  if (/[\\\u0000-\u001f\u007f]/.test(candidate)) return undefined;
  const parsed = new URL(candidate, 'http://same-origin.invalid');
  if (parsed.origin !== 'http://same-origin.invalid') return undefined;
  const normalized = parsed.pathname + parsed.search + parsed.hash;
  // Percent-encoding can make it up to nine times longer ('é' is '%C3%A9'), and the result travels
  // in the pending sign-in cookie, which a browser drops whole beyond about 4 KB (RFC 6265 §6.1):
  // the limit holds for what is kept, or the user signs in at the provider to find no sign-in here.
  if (normalized.length > MAX_LENGTH) return undefined;
  // Dot segments are resolved only now: '/..//evil.example' becomes '//evil.example'.
  return normalized.startsWith('//') || normalized.startsWith('/\\') ? undefined : normalized;
}

/** The longest destination kept, as given and once normalized. */
const MAX_LENGTH = 2048;
