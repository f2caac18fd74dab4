/**
 * Remembers ids of one-time tokens (a back-channel `logout_token`'s `jti`) so each is accepted once.
 *
 * Contract (test/adapters/replay-guard.contract.ts):
 * - `claim` resolves `true` the first time an id is claimed and `false` every later time until
 *   `expiresAt` (epoch ms) has passed; after that the id may be forgotten.
 * - Concurrent claims of one id: exactly one resolves `true`.
 */
export interface ReplayGuard {
  claim(id: string, expiresAt: number): Promise<boolean>;
}
