import { SignOutRejected } from '../../src/domain/errors.ts';
import type { LogoutTokenClaims, LogoutTokenVerifier } from '../../src/ports/logout-token-verifier.port.ts';

/** Accepts exactly the logout tokens a test issued with `issue`; anything else is rejected. */
export class FakeLogoutTokenVerifier implements LogoutTokenVerifier {
  readonly #issued = new Map<string, LogoutTokenClaims>();
  readonly #now: () => number;
  #counter = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A token valid for five minutes from the clock's now, like a real logout token. */
  issue(claims: { sid?: string; subject?: string; jti?: string }): string {
    const token = `logout-token-${++this.#counter}`;
    const replayableUntil = this.#now() + 300_000;
    this.#issued.set(token, { jti: claims.jti ?? token, sid: claims.sid, subject: claims.subject, replayableUntil });
    return token;
  }

  async verify(logoutToken: string): Promise<LogoutTokenClaims> {
    const claims = this.#issued.get(logoutToken);
    if (!claims) throw new SignOutRejected('The logout token is not valid.');
    return claims;
  }
}
