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

/** Whether a sign-out removed a partition or ended a session: its outcome is then `removed`. */
export function removedAnything(work: Pick<SignOutWork, 'partitionRemoved' | 'sessionsEnded'>): boolean {
  return work.partitionRemoved || work.sessionsEnded > 0;
}

export function signOutResult(channel: SignOutChannel, work: SignOutWork, journaled = false): SignOutResult {
  const outcome: SignOutOutcome = removedAnything(work) ? 'removed' : 'nothing-held';
  return { channel, outcome, ...work, journaled };
}

/**
 * A sign-out accepted into the journal, to be applied later. `done`: what it did before the store
 * failed (`workDoneBeforeFailing`), usually nothing.
 */
export function journaledResult(channel: SignOutChannel, subject: string | undefined, done?: SignOutWork): SignOutResult {
  return { channel, outcome: 'journaled', ...nothingDone(subject), ...done, subject: done?.subject ?? subject, journaled: true };
}

/**
 * A sign-out that could not be done (the caller got `error`). What it did before failing, if
 * anything, is reported as done: a partition removed then is gone, and its refresh token was revoked.
 */
export function failedResult(channel: SignOutChannel, subject: string | undefined, error?: unknown): SignOutResult {
  const done = workDoneBeforeFailing(error);
  return { channel, outcome: 'failed', ...nothingDone(subject), ...done, subject: done?.subject ?? subject, journaled: false };
}

function nothingDone(subject: string | undefined): SignOutWork {
  return { subject, sessionsEnded: 0, partitionRemoved: false, revocation: 'not-attempted' };
}

// A sign-out that fails part-way goes on failing with its own error (a StoreUnavailable is still a
// 503, or journaled), so what it did first travels beside that error rather than inside a wrapper.
const doneBeforeFailing = new WeakMap<object, SignOutWork>();

/** Notes on `error` what the sign-out that fails with it had already done. */
export function noteWorkDoneBeforeFailing(error: unknown, work: SignOutWork): void {
  if (typeof error === 'object' && error !== null) doneBeforeFailing.set(error, work);
}

/** What the sign-out that failed with `error` had already done, if it did anything. */
export function workDoneBeforeFailing(error: unknown): SignOutWork | undefined {
  return typeof error === 'object' && error !== null ? doneBeforeFailing.get(error) : undefined;
}

/** Several partitions revoked in one sign-out (rare: one `sid` bound to two accounts): the worst one counts. */
export function worstRevocation(outcomes: readonly RevocationOutcome[]): RevocationOutcome {
  for (const outcome of ['failed', 'revoked', 'unsupported'] as const) if (outcomes.includes(outcome)) return outcome;
  return 'not-attempted';
}
