import type Koa from 'koa';
import type { CookiePolicy } from './cookie-policy.ts';

/**
 * PUBLIC_URL is https but Koa sees a plain-http request, so it refuses to set a `Secure` cookie.
 * The configuration makes TRUST_PROXY=true a condition of an https PUBLIC_URL (config.ts), so this
 * is a request that reached the app without `X-Forwarded-Proto` (a proxy that sends none, or a
 * path around the proxy): https-only.ts redirects any other protocol the proxy names. The message
 * is for whoever runs the app, so this 500 shows it (error-handler.ts shows a 5xx message only
 * when the error says `expose`).
 */
export class InsecureTransport extends Error {
  override name = 'InsecureTransport';
  readonly status = 500;
  readonly expose = true;

  constructor(options?: { cause?: unknown }) {
    super(
      'This site is set up for HTTPS (PUBLIC_URL), but this request reached the app without the ' +
        'X-Forwarded-Proto header that says it came over HTTPS, so the app cannot set its secure cookies. ' +
        'The proxy or load balancer that terminates TLS in front of the app (TRUST_PROXY=true) must send it.',
      options,
    );
  }
}

/** Throws `InsecureTransport` before a `Secure` cookie would be set on what Koa thinks is http. */
export function assertSecureTransport(ctx: Koa.Context, cookies: CookiePolicy): void {
  if (cookies.https && !ctx.secure) throw new InsecureTransport();
}

/**
 * The error `cookies` (0.9.x, under Koa's `ctx.cookies`) throws for a `Secure` cookie on an http
 * request: https://github.com/pillarjs/cookies/blob/0.9.1/index.js#L125-L127
 */
export function isInsecureCookieError(error: unknown): boolean {
  return error instanceof Error && error.message === 'Cannot send secure cookie over unencrypted connection';
}
