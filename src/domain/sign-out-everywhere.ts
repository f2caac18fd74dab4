import type { SignedInAccount } from './account.ts';
import { SignOutRejected } from './errors.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';
import type { LogoutTokenVerifier } from '../ports/logout-token-verifier.port.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { IndexedSession, SessionStore } from '../ports/session-store.port.ts';
import type { TokenStore } from '../ports/token-store.port.ts';

export interface SignOutEverywhereDeps {
  identityProvider: IdentityProvider;
  tokenStore: TokenStore;
  sessionStore: SessionStore;
  logoutTokenVerifier: LogoutTokenVerifier;
  replayGuard: ReplayGuard;
}

/**
 * Sign-out, wherever it starts: the account's cached tokens are removed and every session bound
 * to the provider session is ended.
 *
 * Tokens go first: if ending the sessions fails afterwards, the provider's retry (or the user's)
 * finds the same sessions by `sid` again, while nothing can use the removed tokens meanwhile.
 */
export class SignOutEverywhere {
  private readonly identityProvider: IdentityProvider;
  private readonly tokenStore: TokenStore;
  private readonly sessionStore: SessionStore;
  private readonly logoutTokenVerifier: LogoutTokenVerifier;
  private readonly replayGuard: ReplayGuard;

  constructor(deps: SignOutEverywhereDeps) {
    this.identityProvider = deps.identityProvider;
    this.tokenStore = deps.tokenStore;
    this.sessionStore = deps.sessionStore;
    this.logoutTokenVerifier = deps.logoutTokenVerifier;
    this.replayGuard = deps.replayGuard;
  }

  /**
   * The user clicked "sign out" here. The caller ends its own session too (it may not be bound to a
   * `sid`) and sends the browser to the returned provider URL, when there is one.
   */
  async fromApp(
    account: SignedInAccount,
    postLogoutRedirectUri: string,
  ): Promise<{ endSessionUrl: string | undefined }> {
    await this.tokenStore.remove(account.accountId);
    if (account.sid) await this.endSessions(await this.sessionStore.findBySid(account.sid));
    const endSessionUrl = await this.identityProvider.endSessionUrl({
      postLogoutRedirectUri,
      logoutHint: account.loginHint,
    });
    return { endSessionUrl };
  }

  /**
   * A resource said the user's session was revoked at the provider (a Continuous Access Evaluation
   * revocation challenge): the account's tokens are dead, so they are removed. The session stays:
   * the user is sent to sign in again, which replaces it.
   */
  async afterRevocation(account: SignedInAccount): Promise<void> {
    await this.tokenStore.remove(account.accountId);
  }

  /**
   * The provider says provider session `sid` ended (front-channel, no cookie needed). `iss`, when
   * the provider sends it, must be the provider's issuer. An unknown `sid` is not an error, so the
   * answer tells a caller nothing about which sessions exist.
   */
  async fromFrontChannel(request: { sid: string; iss?: string }): Promise<{ sessionsEnded: number }> {
    if (request.iss !== undefined && !(await this.identityProvider.trustsIssuer(request.iss))) {
      throw new SignOutRejected('The sign-out request comes from an issuer this app does not trust.');
    }
    return this.signOut(await this.sessionStore.findBySid(request.sid));
  }

  /**
   * The provider POSTed a back-channel `logout_token`: a signed statement that session `sid`, or
   * every session of user `sub`, ended. Each token is accepted once (`jti`), and its `jti` is
   * claimed only once the sign-out is done: if removing the tokens or the sessions fails, the
   * provider's retry of the same token must still work.
   */
  async fromBackChannel(logoutToken: string): Promise<{ sessionsEnded: number }> {
    const claims = await this.logoutTokenVerifier.verify(logoutToken);
    const replayId = `logout-token:${claims.jti}`;
    if (await this.replayGuard.isClaimed(replayId)) throw new SignOutRejected('This logout token was already used.', { reason: 'replayed' });
    const sessions = claims.sid
      ? await this.sessionStore.findBySid(claims.sid)
      : await this.sessionStore.findBySubject(claims.subject!);
    const result = await this.signOut(sessions);
    // Two deliveries of one token racing each other both did the (idempotent) sign-out; one wins here.
    if (!(await this.replayGuard.claim(replayId, claims.replayableUntil))) {
      throw new SignOutRejected('This logout token was already used.', { reason: 'replayed' });
    }
    return result;
  }

  private async signOut(sessions: readonly IndexedSession[]): Promise<{ sessionsEnded: number }> {
    const accountIds = new Set(sessions.flatMap((session) => (session.accountId ? [session.accountId] : [])));
    for (const accountId of accountIds) await this.tokenStore.remove(accountId);
    await this.endSessions(sessions);
    return { sessionsEnded: sessions.length };
  }

  private async endSessions(sessions: readonly IndexedSession[]): Promise<void> {
    await Promise.all(sessions.map((session) => this.sessionStore.destroy(session.id)));
  }
}
