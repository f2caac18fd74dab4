import { ExpiringKeys } from './expiring-keys.ts';

/** How many spent sign-ins an instance remembers: a flood of callbacks evicts the oldest, memory stays bounded. */
const MAX_REMEMBERED = 10_000;

/**
 * The sign-ins whose callback this instance has taken, until their pending sign-in would have
 * expired anyway: a browser that sends the same callback again (a GET retried after a lost answer, a
 * second navigation before the first answer's cookie-clearing arrived) still holds the pending
 * sign-in cookie, and its code would be redeemed twice. RFC 6749 §4.1.2: a code used twice is
 * refused, and the provider SHOULD revoke what it issued for it (oidc-provider does, so the first
 * callback's fresh session lost its tokens).
 *
 * In this instance's memory, by the digest of `state`, so a stranger's callbacks store nothing
 * shared (README, "Security notes"); a repeat that reaches another instance is not caught.
 */
export class SpentSignIns {
  readonly #spent: ExpiringKeys;

  constructor(now: () => number) {
    this.#spent = new ExpiringKeys(now, MAX_REMEMBERED);
  }

  /** Marks the sign-in of `state` spent until `until`; `false` when it already was (its callback came before). */
  claim(state: string, until: number): boolean {
    return this.#spent.add(state, until);
  }
}
