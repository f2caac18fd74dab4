import type { SignedInAccount } from './account.ts';
import { SignOutRejected, StoreUnavailable } from './errors.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';
import type { LogoutTokenVerifier } from '../ports/logout-token-verifier.port.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { JournaledSignOut, SignOutJournal } from '../ports/sign-out-journal.port.ts';
import type { IndexedSession, SessionStore } from '../ports/session-store.port.ts';
import type { TokenStore } from '../ports/token-store.port.ts';

export interface SignOutEverywhereDeps {
  identityProvider: IdentityProvider;
  tokenStore: TokenStore;
  sessionStore: SessionStore;
  logoutTokenVerifier: LogoutTokenVerifier;
  replayGuard: ReplayGuard;
  /** Where sign-outs from the provider wait while a shared store is down; absent: they get a 503. */
  signOutJournal?: SignOutJournal;
  now?: () => number;
}

/** What a sign-out from the provider did: sessions ended now, or accepted into the journal for later. */
export interface ProviderSignOutResult {
  readonly sessionsEnded: number;
  readonly journaled?: boolean;
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
  private readonly journal: SignOutJournal | undefined;
  private readonly now: () => number;

  constructor(deps: SignOutEverywhereDeps) {
    this.identityProvider = deps.identityProvider;
    this.tokenStore = deps.tokenStore;
    this.sessionStore = deps.sessionStore;
    this.logoutTokenVerifier = deps.logoutTokenVerifier;
    this.replayGuard = deps.replayGuard;
    this.journal = deps.signOutJournal;
    this.now = deps.now ?? Date.now;
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
  async fromFrontChannel(request: { sid: string; iss?: string }): Promise<ProviderSignOutResult> {
    if (request.iss !== undefined && !(await this.identityProvider.trustsIssuer(request.iss))) {
      throw new SignOutRejected('The sign-out request comes from an issuer this app does not trust.');
    }
    try {
      return await this.signOut(await this.sessionStore.findBySid(request.sid));
    } catch (error) {
      return this.journalOrThrow(error, { channel: 'front-channel', sid: request.sid, at: this.now() });
    }
  }

  /**
   * The provider POSTed a back-channel `logout_token`: a signed statement that session `sid`, or
   * every session of user `sub`, ended. Each token is accepted once (`jti`), and its `jti` is
   * claimed only once the sign-out is done: if removing the tokens or the sessions fails, the
   * provider's retry of the same token must still work. The token is verified before anything else,
   * so only a valid one is ever journaled.
   */
  async fromBackChannel(logoutToken: string): Promise<ProviderSignOutResult> {
    const claims = await this.logoutTokenVerifier.verify(logoutToken);
    const entry = { channel: 'back-channel', sid: claims.sid, subject: claims.sid ? undefined : claims.subject, at: this.now(), jti: claims.jti, replayableUntil: claims.replayableUntil } as const;
    try {
      if (await this.replayGuard.isClaimed(replayId(claims.jti))) {
        throw new SignOutRejected('This logout token was already used.', { reason: 'replayed' });
      }
      return await this.apply(entry);
    } catch (error) {
      return this.journalOrThrow(error, entry);
    }
  }

  /**
   * Applies the journaled sign-outs, oldest first, each removed from the journal once done. Stops at
   * the first failure (the store is still down): the rest wait for the next attempt. Resolves to the
   * number applied.
   */
  async applyJournal(): Promise<number> {
    if (!this.journal) return 0;
    let applied = 0;
    for (const entry of this.journal.pending()) {
      await this.apply(entry).catch((error: unknown) => {
        // Its jti was used meanwhile (the provider retried at another instance): already done.
        if (!(error instanceof SignOutRejected)) throw error;
      });
      await this.journal.remove(entry.id);
      applied++;
    }
    return applied;
  }

  private async apply(entry: Omit<JournaledSignOut, 'id'>): Promise<ProviderSignOutResult> {
    const sessions = entry.sid ? await this.sessionStore.findBySid(entry.sid) : await this.sessionStore.findBySubject(entry.subject!);
    const result = await this.signOut(sessions);
    // Two deliveries of one token racing each other both did the (idempotent) sign-out; one wins here.
    if (entry.jti && !(await this.replayGuard.claim(replayId(entry.jti), entry.replayableUntil ?? this.now()))) {
      throw new SignOutRejected('This logout token was already used.', { reason: 'replayed' });
    }
    return result;
  }

  /** A store outage during a provider's sign-out: keep it in the journal when there is one and room. */
  private async journalOrThrow(error: unknown, entry: Omit<JournaledSignOut, 'id'>): Promise<ProviderSignOutResult> {
    if (!(error instanceof StoreUnavailable) || !this.journal) throw error;
    if (!(await this.journal.append(entry))) throw error;
    return { sessionsEnded: 0, journaled: true };
  }

  private async signOut(sessions: readonly IndexedSession[]): Promise<ProviderSignOutResult> {
    const accountIds = new Set(sessions.flatMap((session) => (session.accountId ? [session.accountId] : [])));
    for (const accountId of accountIds) await this.tokenStore.remove(accountId);
    await this.endSessions(sessions);
    return { sessionsEnded: sessions.length };
  }

  private async endSessions(sessions: readonly IndexedSession[]): Promise<void> {
    await Promise.all(sessions.map((session) => this.sessionStore.destroy(session.id)));
  }
}

function replayId(jti: string): string {
  return `logout-token:${jti}`;
}
