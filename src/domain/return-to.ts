/** What `checkReturnPath` found: the path to return to, or why there is none. */
export type ReturnPathCheck = { readonly path: string } | { readonly refused: 'off-site' | 'too-long' };

/**
 * A post-sign-in destination on this site, or `undefined` for anything else: only a path starting
 * with a single `/`, with no scheme, host, control character or backslash (but in the query or
 * fragment), that stays such a path
 * once dot segments are resolved (no open redirect), and at most 2048 characters once
 * percent-encoded.
 */
export function sameSitePath(candidate: unknown): string | undefined {
  const checked = checkReturnPath(candidate);
  return 'path' in checked ? checked.path : undefined;
}

/** `sameSitePath`, saying why a candidate is refused: it leaves the site, or it is too long. */
export function checkReturnPath(candidate: unknown): ReturnPathCheck {
  const offSite = { refused: 'off-site' } as const;
  if (typeof candidate !== 'string' || candidate.length === 0) return offSite;
  if (!candidate.startsWith('/') || candidate.startsWith('//')) return offSite;
  // Browsers treat '\' like '/' in a path, so '/\evil.example' would leave the site; in the query
  // or fragment it is a character like any other ('/search?q=a\b').
  if (/[\u0000-\u001f\u007f]/.test(candidate) || /^[^?#]*\\/.test(candidate)) return offSite;
  if (candidate.length > MAX_LENGTH) return { refused: 'too-long' };
  const parsed = new URL(candidate, 'http://same-origin.invalid');
  if (parsed.origin !== 'http://same-origin.invalid') return offSite;
  const normalized = parsed.pathname + parsed.search + parsed.hash;
  // Dot segments are resolved only now: '/..//evil.example' becomes '//evil.example'.
  if (normalized.startsWith('//') || normalized.startsWith('/\\')) return offSite;
  // Percent-encoding can make it up to nine times longer ('é' is '%C3%A9'), and the result travels
  // in the pending sign-in cookie, which a browser drops whole beyond about 4 KB (RFC 6265 §6.1):
  // the limit holds for what is kept, or the user signs in at the provider to find no sign-in here.
  if (normalized.length > MAX_LENGTH) return { refused: 'too-long' };
  return { path: normalized };
}

/** The longest destination kept, as given and once normalized. */
const MAX_LENGTH = 2048;
