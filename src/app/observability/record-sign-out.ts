import type { AppMetrics, SignOutChannel, SignOutOutcome } from './app-metrics.ts';

/** Counts one sign-out where its outcome is known (the routes, and CAE revocation in the container). */
export type RecordSignOut = (channel: SignOutChannel, outcome: SignOutOutcome) => void;

export function signOutRecorder(metrics: AppMetrics): RecordSignOut {
  return (channel, outcome) => metrics.signOut(channel, outcome);
}
