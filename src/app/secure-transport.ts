import type Koa from 'koa';
import type { CookiePolicy } from './cookie-policy.ts';

/**
 * PUBLIC_URL is https but Koa sees a plain-http request, so it refuses to set a `Secure` cookie.
 * Nearly always a TLS-terminating proxy in front of an app started without TRUST_PROXY=true. The
 * message is for whoever runs the app, so this 500 shows it (error-handler.ts shows a 5xx message
 * only when the error says `expose`).
 */
export class InsecureTransport extends Error {
  override name = 'InsecureTransport';
  readonly status = 500;
  readonly expose = true;

  constructor(options?: { cause?: unknown }) {
    super(
      'This site is set up for HTTPS (PUBLIC_URL), but the app received this request over plain HTTP and cannot ' +
        'set its secure cookies. If a proxy or load balancer terminates TLS in front of the app, set ' +
        'TRUST_PROXY=true and have it send X-Forwarded-Proto: https.',
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
