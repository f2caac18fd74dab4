import { createHash } from 'node:crypto';
import type Koa from 'koa';
import { PENDING_SIGN_IN_LIFETIME_MS, type PendingSignIn } from '../domain/sign-in.ts';
import { unsignedCookieFlags, type CookiePolicy } from './cookie-policy.ts';
import { CookieSealer } from './cookie-sealer.ts';
import { assertSecureTransport } from './secure-transport.ts';
import { SpentSignIns } from './spent-sign-ins.ts';

/** The digest of a `state` in its pending sign-in cookie's name: base64url characters. */
const DIGEST_LENGTH = 16;
const DIGEST = /^[A-Za-z0-9_-]+$/;

/**
 * How many sign-ins one browser may have in progress at once: two tabs that both found their
 * session ended, say, or an interaction-required redirect beside a sign-in. Each is a cookie of up
 * to 3.8 KB (MAX_SEALED_LENGTH: a returnTo of 2,048 characters, the longest accepted, and claims kept
 * for a sign-in started again), and together they keep within PENDING_SIGN_INS_BYTES; a fourth
 * start, or one that does not fit beside the others, drops the oldest.
 */
export const MAX_PENDING_SIGN_INS = 3;

/**
 * The most bytes (names and values) one browser's pending sign-in cookies of this app take in its
 * requests: the newest is always kept, older ones only while they fit beside it. Three ordinary
 * ones (under 1 KB each) always fit; sign-ins for the longest destinations, which any page can make
 * a browser start (six top-level navigations), do not: two apps on one host name (the offline
 * stack's, or two behind one proxy) receive each other's cookies, and at three of those each, over
 * 22 KB in all, both answered every request 431 until the cookies expired. At 6,000 each, two apps
 * stay within Node's 16 KB for request headers with room for their sessions and what browsers send.
 */
export const PENDING_SIGN_INS_BYTES = 6000;

/** What a cookie takes in a Cookie header beside its name and value: `=` and the `; ` before the next. */
const COOKIE_HEADER_OVERHEAD = 3;

/**
 * The longest sealed value a pending sign-in cookie is given: with its name (at most 96 characters:
 * `__Host-`, a SESSION_COOKIE_NAME of at most 64, `.pending.` and 16) and attributes (about 100) it
 * stays within the 4,096 bytes every browser keeps (RFC 6265 §6.1).
 */
const MAX_SEALED_LENGTH = 3800;

/**
 * The sign-ins in progress (the provider's checks: state, nonce, PKCE verifier; return path, scopes,
 * start time), kept in the browser between `/auth/signin` and `/auth/redirect` in sealed cookies, so
 * a visitor who has not signed in costs the server nothing: no session exists before a sign-in
 * succeeds.
 *
 * One cookie per sign-in, named after its `state` (`<name>.<digest of state>`): the callback takes
 * the one its `state` names and clears only that one. With a single cookie, a second sign-in
 * started in another tab replaced the first, whose callback was then refused, and a callback that
 * named no sign-in of this browser (a link to `/auth/redirect` from another site) threw away the
 * one in progress.
 *
 * `SameSite=Lax`: the cookie must come along on the provider's top-level redirect back.
 * `Path=/`: the `__Host-` prefix used on https requires it.
 */
export class PendingSignInCookie {
  readonly #cookies: CookiePolicy;
  readonly #sealer: CookieSealer;
  readonly #now: () => number;
  readonly #spent: SpentSignIns;

  constructor(deps: { cookies: CookiePolicy; sessionKeys: readonly string[]; now: () => number }) {
    this.#cookies = deps.cookies;
    this.#sealer = new CookieSealer({ secrets: deps.sessionKeys, label: 'pending sign-in cookie' });
    this.#now = deps.now;
    this.#spent = new SpentSignIns(deps.now);
  }

  /**
   * Remembers `pending`, whose authorization request carries `state`, in this browser for
   * PENDING_SIGN_IN_LIFETIME_MS, beside the others in progress; the oldest are dropped (and any
   * expired or unreadable one) so that at most MAX_PENDING_SIGN_INS remain, within PENDING_SIGN_INS_BYTES.
   */
  write(ctx: Koa.Context, pending: PendingSignIn, state: string): void {
    assertSecureTransport(ctx, this.#cookies);
    const expiresAt = pending.startedAt + PENDING_SIGN_IN_LIFETIME_MS;
    // The cookie must fit what a browser keeps. What does not fit beside the return path is left out,
    // the login hint first (a convenience for a sign-in started again), then the claims (the
    // authorization request carries them all the same, but then the code's redemption does not).
    const { claims: _claims, loginHint: _loginHint, ...lean } = pending;
    const { loginHint: _hint, ...withoutHint } = pending;
    let sealed = '';
    for (const candidate of [pending, withoutHint, lean]) {
      sealed = this.#sealer.seal(candidate, expiresAt);
      if (sealed.length <= MAX_SEALED_LENGTH) break;
    }
    const name = this.#nameFor(state);
    const others = this.#held(ctx)
      .filter((other) => other.name !== name) // set anew below
      .map(({ name, text }) => ({ name, bytes: name.length + text.length + COOKIE_HEADER_OVERHEAD, pending: this.#open(text) }))
      .sort((a, b) => (b.pending?.startedAt ?? -Infinity) - (a.pending?.startedAt ?? -Infinity)); // newest first
    let bytes = name.length + sealed.length + COOKIE_HEADER_OVERHEAD;
    let kept = 1;
    for (const other of others) {
      // By the unnamed cookie's name (`<SESSION_COOKIE_NAME>.pending`) another app on this host may
      // keep a session cookie of its own: cleared only when it opens as this app's.
      if (!other.pending && other.name === this.#cookies.pendingSignInCookieName) continue;
      const fits = other.pending && kept < MAX_PENDING_SIGN_INS && bytes + other.bytes <= PENDING_SIGN_INS_BYTES;
      if (!fits) this.#clear(ctx, other.name);
      else {
        bytes += other.bytes;
        kept++;
      }
    }
    ctx.cookies.set(name, sealed, { ...this.#attributes(), maxAge: PENDING_SIGN_IN_LIFETIME_MS });
  }

  /**
   * The pending sign-in whose authorization request carried `state`, and its cookie is cleared: one
   * attempt per pending sign-in. `undefined` when there is none in this browser (no `state`, none
   * started with it, or its cookie changed, sealed by no configured key, or expired), and when this
   * instance has taken its callback before (the browser sent it again: its code must not be
   * redeemed twice, spent-sign-ins.ts); the others in progress are left as they are.
   */
  take(ctx: Koa.Context, state: string | undefined): PendingSignIn | undefined {
    assertSecureTransport(ctx, this.#cookies);
    if (!state) return undefined;
    // Found in the parsed header, not by `ctx.cookies.get(name)`: the cookies package keeps a RegExp
    // for every name it is asked for, in a module-level cache never emptied
    // (https://github.com/pillarjs/cookies/blob/0.9.1/index.js, getPattern and REGEXP_CACHE), and
    // this name comes from the request's `state`: each forged callback would keep one for good.
    const name = this.#nameFor(state);
    const held = this.#held(ctx);
    const named = held.find((cookie) => cookie.name === name);
    if (named) this.#clear(ctx, name);
    const pending = named ? this.#open(named.text) : this.#takeUnnamed(ctx, held, state);
    if (!pending || !this.#spent.claim(state, pending.startedAt + PENDING_SIGN_IN_LIFETIME_MS)) return undefined;
    return pending;
  }

  /**
   * The single cookie, named without a state, that releases before this one kept: a sign-in started
   * before an upgrade still finishes after it. Taken (and cleared) only for the callback of its own
   * `state`, as the named ones are.
   */
  #takeUnnamed(ctx: Koa.Context, held: readonly { name: string; text: string }[], state: string): PendingSignIn | undefined {
    const name = this.#cookies.pendingSignInCookieName;
    const unnamed = held.find((cookie) => cookie.name === name);
    const pending = unnamed && this.#open(unnamed.text);
    if (!pending || pending.checks.state !== state) return undefined;
    this.#clear(ctx, name);
    return pending;
  }

  #open(text: string): PendingSignIn | undefined {
    const value = this.#sealer.open(text, this.#now());
    return isPendingSignIn(value) ? value : undefined;
  }

  /**
   * This app's pending sign-in cookies the request carries, by name (the unnamed one of earlier
   * releases too), but those this answer clears: a callback that starts a sign-in again (claims
   * asked at redemption) must not count the one it just spent against the browser's others. Only
   * names this app writes (`<name>.<16 characters>`, #nameFor): another app on this host whose
   * cookie name begins with this one's (`app.pending.sig` beside `app`) keeps its cookies.
   */
  #held(ctx: Koa.Context): { name: string; text: string }[] {
    const base = this.#cookies.pendingSignInCookieName;
    const cleared = clearedIn(ctx);
    const held: { name: string; text: string }[] = [];
    for (const pair of (ctx.get('cookie') || '').split(';')) {
      const equals = pair.indexOf('=');
      if (equals < 0) continue;
      const name = pair.slice(0, equals).trim();
      const ours = name === base || (name.length === base.length + 1 + DIGEST_LENGTH && name.startsWith(`${base}.`) && DIGEST.test(name.slice(base.length + 1)));
      if (ours && !cleared.has(name)) held.push({ name, text: pair.slice(equals + 1).trim() });
    }
    return held;
  }

  /** `<name>.<digest>`: a state is up to the provider's length and alphabet, a cookie name is not. */
  #nameFor(state: string): string {
    return `${this.#cookies.pendingSignInCookieName}.${createHash('sha256').update(state).digest('base64url').slice(0, DIGEST_LENGTH)}`;
  }

  #clear(ctx: Koa.Context, name: string): void {
    clearedIn(ctx).add(name);
    ctx.cookies.set(name, '', this.#attributes()); // an empty value is sent as expired
  }

  #attributes() {
    // Not signed: the seal already authenticates it (and `signed` would add a second cookie).
    return unsignedCookieFlags(this.#cookies);
  }
}

/** The pending sign-in cookies this answer clears, kept on the request. */
function clearedIn(ctx: Koa.Context): Set<string> {
  return (ctx.state.pendingSignInsCleared ??= new Set());
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
    (candidate.interaction === undefined || candidate.interaction === true) &&
    (candidate.claimsRetry === undefined || candidate.claimsRetry === true) &&
    (candidate.claims === undefined || typeof candidate.claims === 'string') &&
    (candidate.loginHint === undefined || typeof candidate.loginHint === 'string') &&
    (candidate.prompt === undefined || candidate.prompt === 'login')
  );
}
