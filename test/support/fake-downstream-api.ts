import { ApiChallenge, DownstreamApiUnavailable } from '../../src/domain/errors.ts';
import type { DownstreamApi } from '../../src/ports/downstream-api.port.ts';

/**
 * An in-memory downstream API: it answers with the profile registered for a token and refuses
 * (401, `ApiChallenge`) any token it does not know. Tests can script one claims challenge or one
 * plain 401, or make it unavailable.
 */
export class FakeDownstreamApi implements DownstreamApi {
  /** Every token presented, in order. */
  readonly receivedTokens: string[] = [];
  /** When true, every call fails with `DownstreamApiUnavailable`. */
  unavailable = false;
  readonly #profiles = new Map<string, unknown>();
  readonly #scripted: ApiChallenge[] = [];

  /** The API accepts `token` and answers with `profile`. */
  accept(token: string, profile: unknown): this {
    this.#profiles.set(token, profile);
    return this;
  }

  /** The next call answers 401 with a claims challenge, whatever the token. */
  challengeOnceWithClaims(claims: string): this {
    this.#scripted.push(new ApiChallenge(claims));
    return this;
  }

  /** The next call answers a plain 401, whatever the token (e.g. the token was revoked early). */
  refuseOnce(): this {
    this.#scripted.push(new ApiChallenge());
    return this;
  }

  async get(accessToken: string): Promise<unknown> {
    this.receivedTokens.push(accessToken);
    if (this.unavailable) throw new DownstreamApiUnavailable('fake API is down');
    const scripted = this.#scripted.shift();
    if (scripted) throw scripted;
    if (!this.#profiles.has(accessToken)) throw new ApiChallenge();
    return this.#profiles.get(accessToken);
  }
}
