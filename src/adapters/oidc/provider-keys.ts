import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { IdentityProviderUnavailable } from '../../domain/errors.ts';
import { fetchJson } from './fetch-json.ts';

/** Keys older than this are re-read before use (a key the provider withdrew stops working). */
const REFRESH_AFTER_MS = 10 * 60_000;
/** While the provider cannot be reached, the last good keys stay in use this long. */
const KEEP_LAST_GOOD_MS = 24 * 3600_000;
/** After a failed fetch, or a fetch for an unknown `kid`, wait this long before fetching again. */
const RETRY_AFTER_MS = 30_000;

interface KeySet {
  readonly resolve: JWTVerifyGetKey;
  readonly fetchedAt: number;
}

/**
 * The provider's signing keys (its JWKS), for jose's `jwtVerify`. Fetched on first use, re-read
 * when older than 10 minutes or when a token names a key not in the set, and kept as they were for
 * up to a day while the provider cannot be reached, so a short outage does not turn valid logout
 * tokens away. When no usable keys can be had, `IdentityProviderUnavailable`: the provider's
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
  #fetching: Promise<KeySet> | undefined;

  constructor(deps: { jwksUri: () => Promise<string>; httpTimeoutMs: number; now?: () => number }) {
    this.#jwksUri = deps.jwksUri;
    this.#timeoutMs = deps.httpTimeoutMs;
    this.#now = deps.now ?? Date.now;
  }

  /** jose key resolver: the provider key the token's header names. */
  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.#current();
    try {
      return await keys.resolve(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || this.#now() - this.#lastAttemptAt < RETRY_AFTER_MS) throw error;
      // A key we have not seen: the provider may have rotated its keys since we fetched them.
      return (await this.#fetchOnce()).resolve(header, token);
    }
  };

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
    const uri = await this.#jwksUri();
    const body = (await fetchJson(uri, this.#timeoutMs)) as Partial<JSONWebKeySet> | null;
    if (!Array.isArray(body?.keys)) throw new IdentityProviderUnavailable(`the provider's JWKS at ${uri} has no keys`);
    this.#keys = { resolve: createLocalJWKSet(body as JSONWebKeySet), fetchedAt: this.#now() };
    return this.#keys;
  }
}
