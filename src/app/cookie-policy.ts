import type { Config } from './config.ts';

/** How this app names and flags its cookies, decided once from PUBLIC_URL. */
export interface CookiePolicy {
  /** PUBLIC_URL is https: cookies are `Secure`, named `__Host-…`, and HSTS is sent. */
  readonly https: boolean;
  /** The session id cookie (koa-session adds `<name>.sig` beside it). */
  readonly sessionCookieName: string;
  /** The sealed pending sign-in, between `/auth/signin` and `/auth/redirect`. */
  readonly pendingSignInCookieName: string;
  /** Set by a sign-out here that removed the tokens, for `/auth/signed-out` to say so (notice-cookies.ts). */
  readonly signedOutNoticeCookieName: string;
  /** Set by ending a session on the sessions page, for that page to say so once (notice-cookies.ts). */
  readonly sessionEndedNoticeCookieName: string;
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
 * The same flags for the app's cookies that carry no signature of their own (a sealed value, a
 * note, an expired signature), each set in place of any earlier line of its name in the answer.
 */
export function unsignedCookieFlags(policy: CookiePolicy) {
  return { ...sessionCookieFlags(policy), signed: false, overwrite: true } as const;
}

/** Whether this policy's cookies can be set on a request: a Secure one cannot over what looks like http (the `cookies` package throws). */
export function cookiesSettable(policy: CookiePolicy, request: { readonly secure: boolean }): boolean {
  return !policy.https || request.secure;
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
    sessionEndedNoticeCookieName: `${prefix}${base}.session-ended`,
  });
}
