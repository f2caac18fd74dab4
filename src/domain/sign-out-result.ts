import type { RevocationOutcome, SignOutChannel, SignOutOutcome } from './sign-out-names.ts';

/**
 * What one sign-out did, as the audit event records it: every `SignOutEverywhere` method resolves
 * to one, and the app layer writes it out (src/app/sign-out-audit.ts). Never a token.
 */
export interface SignOutResult {
  readonly channel: SignOutChannel;
  readonly outcome: SignOutOutcome;
  /** The user's `sub`, when known (a front-channel `sid` that matched no session names nobody). */
  readonly subject: string | undefined;
  readonly sessionsEnded: number;
  /** Whether a token partition was held, and is now removed. */
  readonly partitionRemoved: boolean;
  readonly revocation: RevocationOutcome;
  /** Went through the outage journal: accepted into it (`outcome: 'journaled'`), or applied from it. */
  readonly journaled: boolean;
}

/** What removing a set of partitions and sessions did, before it is named a result. */
export interface SignOutWork {
  readonly subject: string | undefined;
  readonly sessionsEnded: number;
  readonly partitionRemoved: boolean;
  readonly revocation: RevocationOutcome;
}

export function signOutResult(channel: SignOutChannel, work: SignOutWork, journaled = false): SignOutResult {
  const outcome: SignOutOutcome = work.partitionRemoved || work.sessionsEnded > 0 ? 'removed' : 'nothing-held';
  return { channel, outcome, ...work, journaled };
}

/** A sign-out accepted into the journal: nothing is removed yet. */
export function journaledResult(channel: SignOutChannel, subject: string | undefined): SignOutResult {
  return { channel, outcome: 'journaled', subject, sessionsEnded: 0, partitionRemoved: false, revocation: 'not-attempted', journaled: true };
}

/** A sign-out that could not be done (the caller got the error). */
export function failedResult(channel: SignOutChannel, subject: string | undefined): SignOutResult {
  return { channel, outcome: 'failed', subject, sessionsEnded: 0, partitionRemoved: false, revocation: 'not-attempted', journaled: false };
}

/** Several partitions revoked in one sign-out (rare: one `sid` bound to two accounts): the worst one counts. */
export function worstRevocation(outcomes: readonly RevocationOutcome[]): RevocationOutcome {
  for (const outcome of ['failed', 'revoked', 'unsupported'] as const) if (outcomes.includes(outcome)) return outcome;
  return 'not-attempted';
}
