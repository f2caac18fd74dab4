import { setTimeout as sleep } from 'node:timers/promises';
import { demoUserByUsername } from '../../demo-users.ts';
import type { SignInRevocationList } from '../../sign-in-revocations.ts';
import type { TenantInstance } from '../tenant-instance.ts';

/** What "Revoke sessions" did for one user. */
export interface SessionRevocation {
  readonly username: string;
  readonly oid: string;
  readonly tenantId: string;
  /** Epoch seconds: the user's access tokens with an earlier `iat` now get a CAE revocation challenge. */
  readonly notBefore: number;
  /** Provider sessions ended (the next sign-in asks for the password). */
  readonly sessions: number;
  /** Grants revoked, each with its refresh tokens (they now fail with `invalid_grant`). */
  readonly grants: number;
}

export class UnknownDemoUser extends Error {
  constructor(username: string) {
    super(`no demo user "${username}"`);
    this.name = 'UnknownDemoUser';
  }
}

/**
 * Entra's "Revoke sessions" (Microsoft Graph `revokeSignInSessions`) for a demo user: in their
 * tenant, every grant (so every refresh token and code) and every provider session of theirs is
 * removed, then the revocation time is recorded for the demo API, which from then on answers
 * their older access tokens with a CAE revocation challenge. Front-channel or back-channel logout
 * is not sent: Entra does not notify apps either; they learn it from the challenge, and from a
 * refresh answered `invalid_grant` with Entra's AADSTS50173 (revoked-refresh-token.ts).
 *
 * Resolves once the recorded second has begun, so a token issued after this resolves is accepted.
 */
export async function revokeUserSessions(
  deps: { readonly tenants: readonly TenantInstance[]; readonly revocations: SignInRevocationList },
  username: string,
): Promise<SessionRevocation> {
  const user = demoUserByUsername(username);
  const tenant = user && deps.tenants.find((candidate) => candidate.tenant.tenantId === user.tenantId);
  if (!user || !tenant) throw new UnknownDemoUser(username);
  const { refreshTokens, ...removed } = tenant.store.removeAccount(user.oid);
  deps.revocations.revokeRefreshTokens(refreshTokens);
  const notBefore = deps.revocations.revoke(user.oid);
  // A loop, not one sleep: timers run on the monotonic clock and were seen here to fire 1 ms before
  // `Date.now()` (the wall clock tokens are stamped with) reached the second.
  for (let wait = notBefore * 1000 - Date.now(); wait > 0; wait = notBefore * 1000 - Date.now()) await sleep(wait);
  return { username: user.username, oid: user.oid, tenantId: user.tenantId, notBefore, ...removed };
}
