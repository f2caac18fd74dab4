import type Koa from 'koa';
import { PENDING_SIGN_IN_LIFETIME_MS, type PendingSignIn } from '../domain/sign-in.ts';
import type { CookiePolicy } from './cookie-policy.ts';
import { CookieSealer } from './cookie-sealer.ts';
import { assertSecureTransport } from './secure-transport.ts';

/**
 * The sign-in in progress (the provider's checks: state, nonce, PKCE verifier; return path, scopes,
 * start time), kept in
 * the browser between `/auth/signin` and `/auth/redirect` in a sealed cookie, so a visitor who has
 * not signed in costs the server nothing: no session exists before a sign-in succeeds.
 *
 * `SameSite=Lax`: the cookie must come along on the provider's top-level redirect back.
 * `Path=/`: the `__Host-` prefix used on https requires it.
 */
export class PendingSignInCookie {
  readonly #cookies: CookiePolicy;
  readonly #sealer: CookieSealer;
  readonly #now: () => number;

  constructor(deps: { cookies: CookiePolicy; sessionKeys: readonly string[]; now: () => number }) {
    this.#cookies = deps.cookies;
    this.#sealer = new CookieSealer({ secrets: deps.sessionKeys, label: 'pending sign-in cookie' });
    this.#now = deps.now;
  }

  /** Remembers `pending` in this browser for PENDING_SIGN_IN_LIFETIME_MS, replacing any earlier one. */
  write(ctx: Koa.Context, pending: PendingSignIn): void {
    assertSecureTransport(ctx, this.#cookies);
    const sealed = this.#sealer.seal(pending, pending.startedAt + PENDING_SIGN_IN_LIFETIME_MS);
    ctx.cookies.set(this.#cookies.pendingSignInCookieName, sealed, { ...this.#attributes(), maxAge: PENDING_SIGN_IN_LIFETIME_MS });
  }

  /**
   * The pending sign-in this browser carries, and the cookie is cleared: one attempt per pending
   * sign-in. `undefined` when it is absent, changed, sealed by no configured key, or expired.
   */
  take(ctx: Koa.Context): PendingSignIn | undefined {
    assertSecureTransport(ctx, this.#cookies);
    const name = this.#cookies.pendingSignInCookieName;
    const text = ctx.cookies.get(name, { signed: false });
    ctx.cookies.set(name, '', this.#attributes()); // an empty value is sent as expired
    if (!text) return undefined;
    const value = this.#sealer.open(text, this.#now());
    return isPendingSignIn(value) ? value : undefined;
  }

  #attributes() {
    // Not signed: the seal already authenticates it (and `signed` would add a second cookie).
    return { httpOnly: true, sameSite: 'lax', secure: this.#cookies.https, path: '/', signed: false, overwrite: true } as const;
  }
}

function isPendingSignIn(value: unknown): value is PendingSignIn {
  const candidate = value as Partial<Record<keyof PendingSignIn, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.checks === 'object' &&
    candidate.checks !== null &&
    Object.values(candidate.checks).every((value) => typeof value === 'string') &&
    typeof candidate.returnTo === 'string' &&
    Array.isArray(candidate.scopes) &&
    candidate.scopes.every((scope) => typeof scope === 'string') &&
    typeof candidate.startedAt === 'number' &&
    (candidate.interaction === undefined || candidate.interaction === true)
  );
}
