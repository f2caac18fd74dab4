import type { Config } from './config.ts';

/** How this app names and flags its cookies, decided once from PUBLIC_URL. */
export interface CookiePolicy {
  /** PUBLIC_URL is https: cookies are `Secure`, named `__Host-…`, and HSTS is sent. */
  readonly https: boolean;
  /** The session id cookie (koa-session adds `<name>.sig` beside it). */
  readonly sessionCookieName: string;
  /** The sealed pending sign-in, between `/auth/signin` and `/auth/redirect`. */
  readonly pendingSignInCookieName: string;
  /** Set by a sign-out here that removed the tokens, for `/auth/signed-out` to say so (signed-out-notice.ts). */
  readonly signedOutNoticeCookieName: string;
}

const HOST_PREFIX = '__Host-';

/**
 * How the session cookie is set (koa-session, session.ts) and, with the same flags, expired
 * (ended-session-cookie.ts): a browser replaces a cookie only by one of the same name and path.
 * Lax: the cookie must come along on the top-level GET back from the provider.
 */
export function sessionCookieFlags(policy: CookiePolicy) {
  return { httpOnly: true, sameSite: 'lax', secure: policy.https, signed: true, path: '/' } as const;
}

/**
 * On https both cookies get the `__Host-` prefix: browsers then accept them only with `Secure`,
 * `Path=/` and no `Domain`, so neither a sibling subdomain nor a plain-http page can plant or
 * overwrite them. The pending sign-in cookie is named after the session cookie, so two apps on one
 * host with distinct SESSION_COOKIE_NAMEs never share it.
 */
export function cookiePolicy(config: Pick<Config, 'publicUrl' | 'sessionCookieName'>): CookiePolicy {
  const https = new URL(config.publicUrl).protocol === 'https:';
  const base = config.sessionCookieName.startsWith(HOST_PREFIX)
    ? config.sessionCookieName.slice(HOST_PREFIX.length)
    : config.sessionCookieName;
  const prefix = https ? HOST_PREFIX : '';
  return Object.freeze({
    https,
    sessionCookieName: `${prefix}${base}`,
    pendingSignInCookieName: `${prefix}${base}.pending`,
    signedOutNoticeCookieName: `${prefix}${base}.signed-out`,
  });
}
