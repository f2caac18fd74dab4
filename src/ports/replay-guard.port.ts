/**
 * Remembers ids until a time: those of one-time tokens (a back-channel `logout_token`'s `jti`), so
 * each is accepted once, and of provider sessions the provider signed out, so that a sign-in of one
 * that was under way then is ended when it completes.
 *
 * Contract (test/adapters/replay-guard.contract.ts):
 * - `claim` resolves `true` the first time an id is claimed and `false` every later time until
 *   `expiresAt` (epoch ms) has passed; after that the id may be forgotten.
 * - Concurrent claims of one id: exactly one resolves `true`.
 */
export interface ReplayGuard {
  /**
   * Claims `id` until `expiresAt` (epoch ms): `true` the first time, `false` while an earlier claim
   * holds. Concurrent claims of one id: exactly one resolves `true`.
   */
  claim(id: string, expiresAt: number): Promise<boolean>;
  /**
   * Whether `id` is claimed now (claimed and not yet expired), without claiming it: a caller that
   * must first do the work the id stands for checks here, and claims only once the work is done.
   */
  isClaimed(id: string): Promise<boolean>;
}
