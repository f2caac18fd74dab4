import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { IdentityProviderUnavailable, TokenCheckDeferred } from '../../domain/errors.ts';
import { fetchJson } from './fetch-json.ts';

/** Keys older than this are re-read before use (a key the provider withdrew stops working). */
const REFRESH_AFTER_MS = 10 * 60_000;
/** While the provider cannot be reached, the last good keys stay in use this long. */
const KEEP_LAST_GOOD_MS = 24 * 3600_000;
/** After a failed fetch, wait this long before fetching again; a `kid` looked for is not looked for again this long. */
const RETRY_AFTER_MS = 30_000;
/**
 * At most this many fetches per 30 s for key ids not in the set: whoever posts logout tokens with a
 * new invented `kid` each time cannot make the app hammer the provider.
 */
const UNKNOWN_KEY_FETCHES = 5;

interface KeySet {
  readonly resolve: JWTVerifyGetKey;
  readonly fetchedAt: number;
}

/**
 * The provider's signing keys (its JWKS), for jose's `jwtVerify`. Fetched on first use, re-read
 * when older than 10 minutes or when a token names a key not in the set (once per key id, and for
 * at most five key ids, per 30 s), and kept as they were for up to a day while the provider cannot
 * be reached, so a short outage does not turn valid logout tokens away. When no usable keys can be had, `IdentityProviderUnavailable`: the provider's
 * fault, answered with 503 so it retries, never as an invalid token.
 *
 * jose's own `createRemoteJWKSet` is not used: it throws a bare `JOSEError` for a non-200 or
 * non-JSON answer (indistinguishable from a bad token) and keeps no last good set on failure
 * (https://github.com/panva/jose/blob/main/src/jwks/remote.ts).
 */
export class ProviderKeys {
  readonly #jwksUri: () => Promise<string>;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #keys: KeySet | undefined;
  #lastAttemptAt = -Infinity;
  #lastFailureAt = -Infinity;
  #fetching: Promise<KeySet> | undefined;
  /** Key ids fetched for because the set lacked them, and when. */
  readonly #soughtKeys = new Map<string, number>();

  constructor(deps: { jwksUri: () => Promise<string>; httpTimeoutMs: number; now?: () => number }) {
    this.#jwksUri = deps.jwksUri;
    this.#timeoutMs = deps.httpTimeoutMs;
    this.#now = deps.now ?? Date.now;
  }

  /** Resolves once a key set is at hand (fetched, or the last good one); rejects as `resolve` would for want of one. */
  async ready(): Promise<void> {
    await this.#current();
  }

  /** jose key resolver: the provider key the token's header names. */
  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.#current();
    try {
      return await keys.resolve(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A key we have not seen: the provider may have rotated its keys since we fetched them, a
      // moment ago or not (OpenID Connect Core 1.0 §10.1.1). Refused as a bad signature only once
      // the provider's current set lacks it; while the set cannot be fetched, the provider's fault.
      if (this.#now() - this.#lastFailureAt < RETRY_AFTER_MS) {
        throw new IdentityProviderUnavailable(`the token names a key (kid "${String(header.kid)}") not in the provider's last keys, and the keys cannot be fetched now`);
      }
      const seek = this.#maySeek(String(header.kid ?? ''));
      // The set fetched for this very key within 30 s lacked it: not the provider's key.
      if (seek === 'sought-lately') throw error;
      // Other unknown keys (forged tokens, say) spent the fetches: this one cannot be checked now,
      // which is not a bad signature. A refusal (400) would not be retried by the provider
      // (Back-Channel Logout 1.0 §2.8), and a genuine token signed with a key just rotated in would
      // be lost; 503 is retried.
      if (seek === 'budget-spent') {
        throw new TokenCheckDeferred(`the token names a key (kid "${String(header.kid)}") not in the provider's last keys, and too many unknown keys were looked for in the last 30 s to fetch them again now`);
      }
      return (await this.#fetchOnce()).resolve(header, token);
    }
  };

  /** Whether a key the set lacks may be fetched for now: once per `kid`, and a few times in all, per 30 s. */
  #maySeek(kid: string): 'yes' | 'sought-lately' | 'budget-spent' {
    const now = this.#now();
    for (const [sought, at] of this.#soughtKeys) if (now - at >= RETRY_AFTER_MS) this.#soughtKeys.delete(sought);
    if (this.#soughtKeys.has(kid)) return 'sought-lately';
    if (this.#soughtKeys.size >= UNKNOWN_KEY_FETCHES) return 'budget-spent';
    this.#soughtKeys.set(kid, now);
    return 'yes';
  }

  async #current(): Promise<KeySet> {
    const keys = this.#keys;
    if (keys && this.#now() - keys.fetchedAt < REFRESH_AFTER_MS) return keys;
    if (keys && this.#now() - keys.fetchedAt < KEEP_LAST_GOOD_MS && this.#now() - this.#lastAttemptAt < RETRY_AFTER_MS) return keys;
    try {
      return await this.#fetchOnce();
    } catch (error) {
      if (keys && this.#now() - keys.fetchedAt < KEEP_LAST_GOOD_MS) return keys;
      throw error;
    }
  }

  #fetchOnce(): Promise<KeySet> {
    this.#fetching ??= this.#fetch().finally(() => (this.#fetching = undefined));
    return this.#fetching;
  }

  async #fetch(): Promise<KeySet> {
    this.#lastAttemptAt = this.#now();
    try {
      const uri = await this.#jwksUri();
      const body = (await fetchJson(uri, this.#timeoutMs)) as Partial<JSONWebKeySet> | null;
      // Keys that are not JSON objects make jose refuse the whole set (JWKSInvalid): the provider's
      // fault, a 503 like any unusable key set, never a token refused as malformed.
      if (!Array.isArray(body?.keys) || !body.keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))) {
        throw new IdentityProviderUnavailable(`the provider's JWKS at ${uri} has no list of keys`);
      }
      this.#keys = { resolve: createLocalJWKSet(body as JSONWebKeySet), fetchedAt: this.#now() };
      return this.#keys;
    } catch (error) {
      this.#lastFailureAt = this.#now();
      throw error;
    }
  }
}
