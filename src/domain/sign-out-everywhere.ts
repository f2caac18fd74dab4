import { createHash } from 'node:crypto';
import type { SignedInAccount } from './account.ts';
import { SignOutRejected, StoreUnavailable } from './errors.ts';
import type { RevocationOutcome } from './sign-out-names.ts';
import { PENDING_SIGN_IN_LIFETIME_MS } from './sign-in.ts';
import { reachesSession, SIGN_IN_CLOCK_SKEW_MS } from './sign-out-scope.ts';
import {
  failedResult,
  journaledResult,
  noteWorkDoneBeforeFailing,
  removedAnything,
  signOutResult,
  workDoneBeforeFailing,
  worstRevocation,
  type SignOutResult,
  type SignOutWork,
} from './sign-out-result.ts';
import type { IdentityProvider } from '../ports/identity-provider.port.ts';
import type { LogoutTokenVerifier } from '../ports/logout-token-verifier.port.ts';
import type { RefreshTokenRevoker } from '../ports/refresh-token-revoker.port.ts';
import type { ReplayGuard } from '../ports/replay-guard.port.ts';
import type { JournaledSignOut, SignOutJournal } from '../ports/sign-out-journal.port.ts';
import type { IndexedSession, SessionStore } from '../ports/session-store.port.ts';
import type { TokenPartition, TokenStore } from '../ports/token-store.port.ts';

/** Reads of a partition a sign-out makes, each racing a refresh that rewrote it, before it removes whatever is there. */
const PARTITION_REMOVAL_ROUNDS = 3;

/**
 * How long a logout token's `jti` stays claimed past the time it could still be replayed: a replay
 * that arrived in time, during a store outage, is journaled unchecked, and is told from a genuine
 * sign-out when the journal is applied only while the first delivery's claim lasts. So a store
 * outage up to this long cannot make a used token sign the user out again (of the sessions they
 * have signed in to since).
 */
const REPLAY_CLAIM_MARGIN_MS = 24 * 3600 * 1000;

/**
 * How long a provider session the provider signed out is remembered as ended: a sign-in of that
 * session already under way (its code redemption in flight while the sign-out came) finishes within
 * a pending sign-in's lifetime, or not at all; plus the clocks of two instances.
 */
const ENDED_PROVIDER_SESSION_MEMORY_MS = PENDING_SIGN_IN_LIFETIME_MS + SIGN_IN_CLOCK_SKEW_MS;

export interface SignOutEverywhereDeps {
  identityProvider: IdentityProvider;
  tokenStore: TokenStore;
  sessionStore: SessionStore;
  logoutTokenVerifier: LogoutTokenVerifier;
  replayGuard: ReplayGuard;
  refreshTokenRevoker: RefreshTokenRevoker;
  /** Where sign-outs from the provider wait while a shared store is down; absent: they get a 503. */
  signOutJournal?: SignOutJournal;
  /**
   * Whether the stored session `id` is one the app still serves (the lifetimes in force now): a
   * session written under a longer idle lifetime stays stored until the expiry it was written with,
   * and must not count as another device using the account's tokens. Absent: every stored one is.
   */
  sessionServed?: (id: string) => Promise<boolean>;
  now?: () => number;
}

/** Who the operator signs out: a user (`sub`), a token partition (home account id), or both. */
export interface OperatorTarget {
  readonly subject?: string;
  readonly accountId?: string;
}

/**
 * Sign-out, wherever it starts: the account's cached tokens are removed, every session bound to the
 * provider session (or the user) is ended, and the refresh token that was held is revoked at the
 * provider where it can be. Every method resolves to a `SignOutResult` for the audit event.
 *
 * Order: read the partition, remove it, end the sessions, then revoke. Tokens go first: if ending
 * the sessions fails afterwards, the provider's retry (or the user's) finds the same sessions again,
 * while nothing can use the removed tokens meanwhile. Revocation goes last: the local sign-out is
 * complete before anything waits on the provider, and the revoker settles within 2 s.
 */
export class SignOutEverywhere {
  readonly #identityProvider: IdentityProvider;
  readonly #tokenStore: TokenStore;
  readonly #sessionStore: SessionStore;
  readonly #logoutTokenVerifier: LogoutTokenVerifier;
  readonly #replayGuard: ReplayGuard;
  readonly #revoker: RefreshTokenRevoker;
  readonly #journal: SignOutJournal | undefined;
  readonly #sessionServed: (id: string) => Promise<boolean>;
  readonly #now: () => number;

  constructor(deps: SignOutEverywhereDeps) {
    this.#identityProvider = deps.identityProvider;
    this.#tokenStore = deps.tokenStore;
    this.#sessionStore = deps.sessionStore;
    this.#logoutTokenVerifier = deps.logoutTokenVerifier;
    this.#replayGuard = deps.replayGuard;
    this.#revoker = deps.refreshTokenRevoker;
    this.#journal = deps.signOutJournal;
    this.#sessionServed = deps.sessionServed ?? (async () => true);
    this.#now = deps.now ?? Date.now;
  }

  /**
   * The user clicked "sign out" here: their tokens go, with every session of their provider session
   * and `currentSessionId` (which may not be bound to a `sid`). The caller then sends the browser to
   * `providerSignOutUrl`, asked for before this call.
   */
  async fromApp(account: SignedInAccount, currentSessionId?: string): Promise<SignOutResult> {
    const bySid = account.sid ? await this.#sessionStore.findBySid(account.sid) : [];
    const sessions = withCurrent(bySid, currentSessionId);
    return signOutResult('app', await this.#signOut(sessions, [account.accountId], account.subject));
  }

  /**
   * "Sign out everywhere" on the sessions page: every session of this user in this app, on every
   * device, and their tokens. The caller then sends the browser to `providerSignOutUrl`, asked for
   * before this call.
   */
  async everywhere(account: SignedInAccount, currentSessionId?: string): Promise<SignOutResult> {
    const [bySubject, byAccount] = await Promise.all([
      this.#sessionStore.findBySubject(account.subject),
      this.#sessionStore.findByAccount(account.accountId),
    ]);
    const sessions = withCurrent(union(bySubject, byAccount), currentSessionId);
    return signOutResult('sessions-page', await this.#signOut(sessions, [account.accountId], account.subject));
  }

  /**
   * "Sign out this session" on the sessions page: ends session `sessionId` only if it is one of this
   * user's, and keeps the tokens, which the user's other sessions share (one partition per
   * account). Another user's or an unknown id ends nothing (`nothing-held`).
   */
  async endOneSession(account: SignedInAccount, sessionId: string): Promise<SignOutResult> {
    const own = (await this.#sessionStore.findBySubject(account.subject)).filter((session) => session.id === sessionId);
    const sessionsEnded = await this.#endSessions(own);
    return signOutResult('sessions-page', { subject: account.subject, sessionsEnded, partitionRemoved: false, revocation: 'not-attempted' });
  }

  /**
   * A browser signed in as `previous` (session `sessionId`) is signing in as another account, whose
   * session replaces that one: `previous` leaves this browser as by its own "Sign out" here. Its tokens go
   * too, their refresh token revoked, unless another session of the account still uses them (another
   * device): no sign-out from the provider could find them otherwise, since it finds tokens through
   * sessions, and they would stay stored until they expired. The provider is not asked to sign
   * `previous` out: the browser's session there is the new account's now.
   */
  async replacedBySignIn(previous: SignedInAccount, sessionId: string): Promise<SignOutResult> {
    return signOutResult('app', await this.#endSessionAndUnusedTokens(previous, sessionId));
  }

  /**
   * A sign-in that cannot stand: its session could not be stored (the store failed, or its cookie
   * could not be set), or the provider signed its provider session out while it completed
   * (`providerSignedOutMeanwhile`). Its session `sessionId`, when it was written, ends, and the
   * tokens it stored for `account` go, their refresh token revoked, unless another session of the
   * account uses them. No session names them otherwise, so no sign-out could ever find them: they
   * would stay stored, for a user told they are not signed in, until they expired. Not a sign-out
   * of the user (nothing of theirs that another session uses is touched), and not audited.
   */
  async signInAbandoned(account: SignedInAccount, sessionId?: string): Promise<SignOutResult> {
    return signOutResult('app', await this.#endSessionAndUnusedTokens(account, sessionId));
  }

  /**
   * Whether the provider signed out, front- or back-channel, the provider session `account` just
   * signed in to, while the sign-in completed: that sign-out looked for the session before it was
   * written, and found none. Asked once the session is written; the sign-out remembered the session
   * as ended (`#rememberEnded`) before it looked: one of the two sees the other, while the store
   * answers. A back-channel sign-out naming a `sub` too counts only for that user.
   */
  async providerSignedOutMeanwhile(account: SignedInAccount): Promise<boolean> {
    if (account.sid === undefined) return false;
    const [bySid, bySidAndUser] = await Promise.all([
      this.#replayGuard.isClaimed(endedProviderSessionId(account.sid)),
      this.#replayGuard.isClaimed(endedProviderSessionId(account.sid, account.subject)),
    ]);
    return bySid || bySidAndUser;
  }

  /**
   * Incident response (`npm run signout`): every session of the user and of the account, and the
   * tokens of the account and of every account those sessions name. Given both, they must be one
   * user, as the account's sessions tell: an account with a session of another subject, or with no
   * session to tell whose it is, is `SignOutRejected` before anything is removed (the run could
   * sign out two people, and its audit event would name one). An account that holds nothing at all
   * (a second run) is no refusal: the run is the subject's.
   */
  async fromOperator(target: OperatorTarget): Promise<SignOutResult> {
    const [bySubject, byAccount] = await Promise.all([
      target.subject !== undefined ? this.#sessionStore.findBySubject(target.subject) : [],
      target.accountId !== undefined ? this.#sessionStore.findByAccount(target.accountId) : [],
    ]);
    if (target.subject !== undefined && target.accountId !== undefined) {
      const others = new Set(byAccount.flatMap((session) => (session.subject !== target.subject ? [session.subject ?? 'unknown'] : [])));
      if (others.size > 0) {
        throw new SignOutRejected(
          `Account ${target.accountId} is signed in as another user (subject ${[...others].join(', ')}) than subject ${target.subject}: name one user a run.`,
          { reason: 'another-user' },
        );
      }
      // With no session and nothing held either (a run again after one that ended them), there is
      // nothing of the account to tell apart: the run is the subject's. Tokens held with no session
      // could be anyone's, and are not removed on the word of a subject.
      if (byAccount.length === 0 && (await this.#holdsAnything(target.accountId))) {
        throw new SignOutRejected(
          `Account ${target.accountId} has no session to tell whether it is subject ${target.subject}'s: sign out --subject and --account in two runs.`,
          { reason: 'unknown-owner' },
        );
      }
    }
    const sessions = union(bySubject, byAccount);
    const subject = target.subject ?? sessions.find((session) => session.subject)?.subject;
    return signOutResult('operator', await this.#signOut(sessions, target.accountId !== undefined ? [target.accountId] : [], subject));
  }

  /** Whether a partition is stored for the account, one this app's keys cannot open included. */
  async #holdsAnything(accountId: string): Promise<boolean> {
    return (await this.#tokenStore.version(accountId)) !== undefined || (await this.#tokenStore.readSummary(accountId)) !== undefined;
  }

  /**
   * The ID token of this session's sign-in (none when the partition holds another session's), for
   * `providerSignOutUrl`: ask for it before `fromApp` or `everywhere` removes the partition that
   * holds it. Reads the store only, briefly, and never rejects.
   */
  idTokenHint(account: SignedInAccount): Promise<string | undefined> {
    return this.#identityProvider.idTokenHint({ accountId: account.accountId, sid: account.sid });
  }

  /**
   * The provider's end-session URL for this user, or `undefined` if it has none; may reject with
   * `IdentityProviderUnavailable`. Asked for after the sign-out here, so that sign-out never waits
   * on the provider; `idTokenHint` is what `idTokenHint` read before it.
   */
  providerSignOutUrl(account: SignedInAccount, postLogoutRedirectUri: string, idTokenHint?: string): Promise<string | undefined> {
    return this.#identityProvider.endSessionUrl({ postLogoutRedirectUri, logoutHint: account.loginHint, idTokenHint });
  }

  /**
   * A resource said the user's session was revoked at the provider (a Continuous Access Evaluation
   * revocation challenge: a password reset, an admin's "Revoke sessions", a disabled account): the
   * account's tokens are dead, so they are removed, and every session of the account here ends with
   * them, the one that met the challenge included. The sessions share the account's partition: one
   * left standing would be served the tokens of the account's next sign-in, on any device, and the
   * device the provider revoked may be a lost one. The caller sends the user to sign in again.
   */
  async afterRevocation(account: SignedInAccount): Promise<SignOutResult> {
    const sessions = await this.#sessionStore.findByAccount(account.accountId);
    // The sessions before the tokens, unlike other sign-outs: should ending them fail, the tokens
    // stay, and the next page of a session left standing meets the same challenge and tries again.
    // Tokens gone first, that page went to sign in without calling the API, the session stood, and
    // the account's next sign-in anywhere served it (the lost device the provider revoked).
    const sessionsEnded = await this.#endSessions(sessions);
    const work = await this.#signOut([], [account.accountId], account.subject);
    return signOutResult('cae-revocation', { ...work, sessionsEnded });
  }

  /**
   * The provider says provider session `sid` ended (front-channel, no cookie needed). `iss`, when
   * the provider sends it, must be the provider's issuer. An unknown `sid` is not an error, so the
   * answer tells a caller nothing about which sessions exist. During a store outage the request is
   * journaled, unless `mayJournal` is false (the caller has seen too many `sid`s from this client
   * that matched nothing: an unauthenticated GET must not fill the journal that real sign-outs need,
   * nor the store with ended provider sessions).
   */
  async fromFrontChannel(request: { sid: string; iss?: string }, { mayJournal = true }: { mayJournal?: boolean } = {}): Promise<SignOutResult> {
    if (request.iss !== undefined && !(await this.#identityProvider.trustsIssuer(request.iss))) {
      throw new SignOutRejected('The sign-out request comes from an issuer this app does not trust.');
    }
    try {
      // Remembered first: a sign-in of this provider session that its search below cannot find yet
      // (its session not written) finds this when it is (providerSignedOutMeanwhile).
      if (mayJournal) await this.#rememberEnded({ sid: request.sid, at: this.#now() });
      const sessions = await this.#sessionStore.findBySid(request.sid);
      return signOutResult('front-channel', await this.#signOut(sessions, [], undefined));
    } catch (error) {
      if (!mayJournal) throw error;
      return this.#journalOrThrow(error, { channel: 'front-channel', sid: request.sid, at: this.#now() });
    }
  }

  /**
   * The provider POSTed a back-channel `logout_token`: a signed statement that session `sid`, or
   * every session of user `sub`, ended. Each token is accepted once (`jti`), and its `jti` is
   * claimed only once the sign-out is done: if removing the tokens or the sessions fails, the
   * provider's retry of the same token must still work. The token is verified before anything else,
   * so only a valid one is ever journaled.
   */
  async fromBackChannel(logoutToken: string): Promise<SignOutResult> {
    const claims = await this.#logoutTokenVerifier.verify(logoutToken);
    // A token naming both ends the sessions of that `sid` that are that user's: a `sid` and a `sub`
    // of two users (a provider's bug, or its reuse of a session id) end neither's other sessions.
    const entry = { channel: 'back-channel', sid: claims.sid, subject: claims.subject, at: this.#now(), jti: claims.jti, replayableUntil: claims.replayableUntil } as const;
    try {
      return signOutResult('back-channel', await this.#apply(entry, claims.subject));
    } catch (error) {
      return this.#journalOrThrow(error, entry, claims.subject);
    }
  }

  /**
   * Applies the journaled sign-outs, oldest first, each removed from the journal once its tokens and
   * sessions are gone. `locallyDone` is called once every entry is (the instance may serve requests
   * again: a sign-in made from then on is not ended by an older entry), or once one failed. Each
   * entry's revocation starts once its tokens and sessions are gone, and the next entry does not
   * wait for it, so the revocations run side by side: one after another, a journal of slow
   * revocations held every request of the instance up to 2 s per entry. Each entry's result goes
   * to `report` once its revocation settles (`journaled: true`), so a later entry's failure loses no record of the
   * earlier ones. Stops at the first failure (the store is still down), rejecting with it once the
   * revocations started have settled: the rest wait for the next attempt. An entry that failed
   * part-way is reported `failed` with what it did (a partition removed then is not found again,
   * and its refresh token was revoked). An entry whose logout token was used meanwhile (the
   * provider retried at another instance) was already done, and is removed without a report,
   * unless applying it removed something before the other delivery's claim (a race): then it is
   * reported with what it did.
   * Resolves to how many entries were applied.
   */
  async applyJournal(report: (result: SignOutResult) => void, locallyDone: () => void = () => {}): Promise<number> {
    if (!this.#journal) return 0;
    const revocations: Promise<void>[] = [];
    let failure: unknown;
    for (const entry of this.#journal.pending()) {
      let done: LocalSignOut | undefined;
      try {
        done = await this.#applyLocally(entry, entry.subject, { journaled: true });
      } catch (error) {
        if (!(error instanceof SignOutRejected)) {
          if (workDoneBeforeFailing(error)) report({ ...failedResult(entry.channel, entry.subject, error), journaled: true });
          failure = error;
          break;
        }
      }
      if (done) {
        const { work, revoke } = done;
        revocations.push(revoke().then((revocation) => report(signOutResult(entry.channel, { ...work, revocation }, true))));
      }
      try {
        await this.#journal.remove(entry.id);
      } catch (error) {
        failure = error;
        break;
      }
    }
    locallyDone();
    await Promise.all(revocations);
    if (failure !== undefined) throw failure;
    return revocations.length;
  }

  /** A back-channel sign-out, applied as it arrives, its refresh tokens revoked. */
  async #apply(entry: Omit<JournaledSignOut, 'id'>, subject = entry.subject): Promise<SignOutWork> {
    const { work, revoke } = await this.#applyLocally(entry, subject, { journaled: false });
    return { ...work, revocation: await revoke() };
  }

  /**
   * The tokens and sessions of a journaled or back-channel sign-out removed, its logout token
   * claimed; the revocation left to the caller. A logout token already used is refused before
   * anything is done, also when it comes from the journal: one replayed while the store was down
   * could not be looked up then, and applied later it would end the sessions the user has signed in
   * to since its first delivery. Only a `journaled` one is held to its arrival time (it may be
   * applied long after, and must not end the sign-ins made since); one applied as it arrives ends
   * every session it names (Back-Channel Logout 1.0 §2.7), whatever the clocks of the instances that
   * wrote them say.
   */
  async #applyLocally(entry: Omit<JournaledSignOut, 'id'>, subject: string | undefined, { journaled }: { journaled: boolean }): Promise<LocalSignOut> {
    if (entry.jti && (await this.#replayGuard.isClaimed(replayId(entry.jti)))) {
      throw new SignOutRejected('This logout token was already used.', { reason: 'replayed' });
    }
    if (entry.sid) await this.#rememberEnded({ sid: entry.sid, subject: entry.subject, at: entry.at }); // as fromFrontChannel does
    const found = entry.sid ? await this.#sessionStore.findBySid(entry.sid) : await this.#sessionStore.findBySubject(entry.subject!);
    const scope = journaled ? entry : { sid: entry.sid, subject: entry.subject };
    const sessions = found.filter((session) => reachesSession(scope, { ...session, sid: entry.sid }));
    const done = await this.#signOutLocally(sessions, [], subject);
    // Two deliveries of one token racing each other both did the (idempotent) sign-out; one wins
    // the claim. The other is refused as a replay only if it did nothing: when the claim's winner
    // came second to the tokens and sessions (a slow claim here), this delivery is the one that
    // removed them, and its answer and audit event must say so, not the winner's "nothing held".
    const claimed = entry.jti ? await this.#claimOrRevoke(entry.jti, entry.replayableUntil, done) : true;
    if (!claimed && !removedAnything(done.work)) {
      await done.revoke();
      throw new SignOutRejected('This logout token was already used.', { reason: 'replayed' });
    }
    return done;
  }

  /** Ends session `sessionId` of `account` (if given), and the account's tokens (revoked) unless another of its sessions uses them. */
  async #endSessionAndUnusedTokens(account: SignedInAccount, sessionId?: string): Promise<SignOutWork> {
    const own = sessionId === undefined ? [] : [{ id: sessionId, subject: account.subject, accountId: account.accountId }];
    const others = (await this.#sessionStore.findByAccount(account.accountId)).filter((other) => other.id !== sessionId);
    const served = await Promise.all(others.map((other) => this.#sessionServed(other.id)));
    if (!served.includes(true)) return this.#signOut(own, [account.accountId], account.subject);
    const sessionsEnded = await this.#endSessions(own);
    return { subject: account.subject, sessionsEnded, partitionRemoved: false, revocation: 'not-attempted' };
  }

  /**
   * Remembers provider session `sid` (of user `subject`, when the sign-out names one) as signed out
   * by the provider at `at`, for `providerSignedOutMeanwhile`, until a sign-in under way then can no
   * longer complete: from a journaled sign-out applied late, for what is left of that. Best effort:
   * the sign-out itself goes on without it. A store that cannot take this write (SQLite locked by
   * another process) would otherwise fail every front-channel call, a `sid` that matches nothing
   * included, which the unknown-`sid` limit never counts; the sign-out's own writes fail on their own.
   */
  async #rememberEnded({ sid, subject, at }: { sid: string; subject?: string; at: number }): Promise<void> {
    const until = at + ENDED_PROVIDER_SESSION_MEMORY_MS;
    if (until <= this.#now()) return;
    await this.#replayGuard.claim(endedProviderSessionId(sid, subject), until).catch((error: unknown) => {
      // With a journal, a store that does not answer journals the sign-out at once (its lookup
      // would only wait out the same deadline), and applying it writes this note then.
      if (this.#journal && error instanceof StoreUnavailable) throw error;
      return false;
    });
  }

  /**
   * Claims a logout token's `jti`. If the store fails, the refresh tokens already removed are
   * revoked (a retry will not find them) and the sign-out done is noted on the error.
   */
  async #claimOrRevoke(jti: string, replayableUntil: number | undefined, done: LocalSignOut): Promise<boolean> {
    try {
      return await this.#replayGuard.claim(replayId(jti), (replayableUntil ?? this.#now()) + REPLAY_CLAIM_MARGIN_MS);
    } catch (error) {
      noteWorkDoneBeforeFailing(error, { ...done.work, revocation: await done.revoke() });
      throw error;
    }
  }

  /**
   * A store outage during a provider's sign-out: keep it in the journal when there is one and room.
   * A journal that cannot be written (its folder gone, the disk full) accepts nothing: the caller
   * answers the store's outage, a 503 the provider may send again, not a fault of its own (a 500),
   * and the journal's failure goes with it, for the log.
   */
  async #journalOrThrow(error: unknown, entry: Omit<JournaledSignOut, 'id'>, subject = entry.subject): Promise<SignOutResult> {
    if (!(error instanceof StoreUnavailable) || !this.#journal) throw error;
    let appended: boolean;
    try {
      appended = await this.#journal.append(entry);
    } catch (journalError) {
      throw notJournaled(error, journalError);
    }
    if (!appended) throw error;
    return journaledResult(entry.channel, subject, workDoneBeforeFailing(error));
  }

  /**
   * Removes the partitions of `accountIds` and of every account the sessions name, ends the
   * sessions, then revokes the refresh tokens the removed partitions held. If the store fails after
   * some partitions are removed, their refresh tokens are revoked before the error goes on, and what
   * was done is noted on it: a retry will not find those partitions, so it is now or never.
   *
   * A partition read for sign-out whose removal then fails has its refresh token revoked too: the
   * store may have carried the removal out all the same (a Redis DEL that lands after the command's
   * deadline rejected it), and then no retry would find the token again. The user asked to be signed
   * out; if the partition did survive, its dead refresh token only means that its next use asks the
   * user to sign in, and the retry removes it (revoking again is harmless, RFC 7009 §2.2). That
   * removal is not claimed (`partitionRemoved` says what is known to be removed), only the revocation.
   */
  async #signOut(sessions: readonly IndexedSession[], accountIds: readonly string[], subject: string | undefined): Promise<SignOutWork> {
    const { work, revoke } = await this.#signOutLocally(sessions, accountIds, subject);
    return { ...work, revocation: await revoke() };
  }

  /** `#signOut` up to its revocation, which `revoke` then makes (once; a second call gives the same outcome). */
  async #signOutLocally(sessions: readonly IndexedSession[], accountIds: readonly string[], subject: string | undefined): Promise<LocalSignOut> {
    const accounts = new Set([...accountIds, ...sessions.flatMap((session) => (session.accountId ? [session.accountId] : []))]);
    subject ??= sessions.find((session) => session.subject)?.subject;
    const removed: TokenPartition[] = [];
    // Read for sign-out, its removal not known to be done (it failed, or is under way).
    let removing: TokenPartition | undefined;
    // A partition stored but not readable (sealed with a key no longer configured): removed all the
    // same, and reported as removed, its refresh token not revoked (`failed`: it could not be read,
    // so it stays valid at the provider). Its existence is asked of the store itself (a summary
    // read), not of a version an instance may still hold after another instance removed it.
    let removedUnread = false;
    let sessionsEnded = 0;
    try {
      for (const accountId of accounts) {
        const { held, unread } = await this.#removePartition(accountId, (reading) => (removing = reading));
        removing = undefined;
        if (held) removed.push(held);
        removedUnread ||= unread;
      }
      sessionsEnded = await this.#endSessions(sessions);
    } catch (error) {
      const revoked = removing ? [...removed, removing] : removed;
      if (revoked.length > 0 || removedUnread) {
        const revocation = await this.#revokeAll(revoked, removedUnread);
        noteWorkDoneBeforeFailing(error, { subject, sessionsEnded: 0, partitionRemoved: removed.length > 0 || removedUnread, revocation });
      }
      throw error;
    }
    let revocation: Promise<RevocationOutcome> | undefined;
    return {
      work: { subject, sessionsEnded, partitionRemoved: removed.length > 0 || removedUnread },
      revoke: () => (revocation ??= this.#revokeAll(removed, removedUnread)),
    };
  }

  /**
   * Removes the account's partition as it was read, so that the refresh token revoked afterwards is
   * the one removed: a refresh that rewrote the partition between the read and the removal (another
   * instance, another process on the SQLite file) brought a new refresh token, which a removal of
   * whatever was there would delete unrevoked, still valid at the provider. Such a partition is
   * read again; a refresh per account runs at a time, so a few rounds settle it, and past them the
   * removal is unconditional (the last read's refresh token revoked, as before).
   * `reading` hears of each partition read before its removal is tried.
   */
  async #removePartition(accountId: string, reading: (held: TokenPartition | undefined) => void): Promise<{ held: TokenPartition | undefined; unread: boolean }> {
    for (let round = 1; ; round++) {
      const held = await this.#tokenStore.read(accountId);
      const unread = !held && (await this.#tokenStore.readSummary(accountId)) !== undefined;
      reading(held);
      const lastRound = round === PARTITION_REMOVAL_ROUNDS;
      if (await this.#tokenStore.remove(accountId, held && !lastRound ? held.version : undefined)) return { held, unread };
    }
  }

  async #revokeAll(partitions: readonly TokenPartition[], unreadRemoved = false): Promise<RevocationOutcome> {
    const outcomes = await Promise.all(partitions.map((partition) => this.#revoker.revoke(partition.data)));
    return worstRevocation(unreadRemoved ? [...outcomes, 'failed'] : outcomes);
  }

  /** Ends the sessions; resolves to how many were still there (a sign-out racing this one may have ended some). */
  async #endSessions(sessions: readonly IndexedSession[]): Promise<number> {
    const ended = await Promise.all(sessions.map((session) => this.#sessionStore.destroy(session.id)));
    return ended.filter(Boolean).length;
  }
}

/** A sign-out done here, its refresh tokens not yet revoked. */
interface LocalSignOut {
  readonly work: Omit<SignOutWork, 'revocation'>;
  revoke(): Promise<RevocationOutcome>;
}

/** `sessions` and the caller's own session, once. */
function withCurrent(sessions: readonly IndexedSession[], currentSessionId: string | undefined): IndexedSession[] {
  if (currentSessionId === undefined || sessions.some((session) => session.id === currentSessionId)) return [...sessions];
  return [...sessions, { id: currentSessionId }];
}

function union(...lists: readonly (readonly IndexedSession[])[]): IndexedSession[] {
  const byId = new Map<string, IndexedSession>();
  for (const session of lists.flat()) byId.set(session.id, session);
  return [...byId.values()];
}

/** The store's outage, the journal's failure as its cause, and what the sign-out did before either. */
function notJournaled(outage: StoreUnavailable, journalError: unknown): StoreUnavailable {
  const refused = new StoreUnavailable(`${outage.message}; the sign-out journal could not be written either`, { cause: journalError });
  const done = workDoneBeforeFailing(outage);
  if (done) noteWorkDoneBeforeFailing(refused, done);
  return refused;
}

function replayId(jti: string): string {
  return `logout-token:${jti}`;
}

/** Hashed: what a sign-out leaves in the store for a while names no session or user. */
function endedProviderSessionId(sid: string, subject?: string): string {
  const named = subject === undefined ? sid : JSON.stringify([sid, subject]);
  return `ended-provider-session:${createHash('sha256').update(named).digest('base64url')}`;
}
