import type { RevokedTokens } from '../domain/call-api.ts';
import { SignOutRejected, TokenCheckDeferred } from '../domain/errors.ts';
import { SIGN_OUT_EVENT, type SignOutChannel } from '../domain/sign-out-names.ts';
import { failedResult, type SignOutResult } from '../domain/sign-out-result.ts';
import type { AppMetrics } from './observability/app-metrics.ts';
import type { Logger } from './observability/logger.ts';
import { currentRequestId } from './observability/request-context.ts';

/**
 * The one place a sign-out is reported: one structured log line per sign-out, named
 * `sign-out` (SIGN_OUT_EVENT), with the channel, outcome, subject, sessions ended, whether a
 * partition was removed, the refresh token's revocation outcome and the request id. A
 * SignOutResult never holds a token, so neither does the line. The same place counts it in the
 * metrics (`app_sign_outs_total`, `app_refresh_token_revocations_total`), the one count kept.
 */
export class SignOutAudit {
  readonly #logger: Logger;
  readonly #metrics: Pick<AppMetrics, 'signOut' | 'refreshTokenRevocation'> | undefined;

  constructor(deps: { logger: Logger; metrics?: Pick<AppMetrics, 'signOut' | 'refreshTokenRevocation'> }) {
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
  }

  record(result: SignOutResult, context: { requestId?: string } = {}): void {
    const { channel, outcome, subject, sessionsEnded, partitionRemoved, revocation, journaled } = result;
    this.#logger.info(
      {
        event: SIGN_OUT_EVENT,
        channel,
        outcome,
        subject,
        sessionsEnded,
        partitionRemoved,
        revocation,
        journaled,
        ...(context.requestId !== undefined ? { requestId: context.requestId } : {}),
      },
      SIGN_OUT_EVENT,
    );
    this.#metrics?.signOut(channel, outcome);
    // Also a partition whose removal failed: its refresh token was revoked all the same (SignOutEverywhere).
    if (partitionRemoved || revocation !== 'not-attempted') this.#metrics?.refreshTokenRevocation(revocation);
  }

  /**
   * Runs a sign-out and records what it did. One that fails is recorded as `failed`, with what it
   * did before failing (a partition it removed, and the revocation of that partition's refresh
   * token, or of one whose removal failed), and the error goes on to the caller (a 503, and the
   * provider or the user retries). A refused request (a forged or replayed logout token, a foreign
   * `iss`) is not a sign-out: nothing is recorded.
   */
  async around(
    channel: SignOutChannel,
    context: { requestId?: string; subject?: string },
    signOut: () => Promise<SignOutResult>,
  ): Promise<SignOutResult> {
    let result: SignOutResult;
    try {
      result = await signOut();
    } catch (error) {
      // A refused request, or a token that cannot be checked yet (TokenCheckDeferred: most likely
      // forged), is not a sign-out that failed.
      if (!(error instanceof SignOutRejected || error instanceof TokenCheckDeferred)) this.record(failedResult(channel, context.subject, error), context);
      throw error;
    }
    this.record(result, context);
    return result;
  }

  /**
   * The sign-outs a CAE revocation challenge makes inside CallApi, recorded like every other
   * channel's: with the request's id, and as `failed` when the store cannot remove the tokens
   * (the page is then a 503 and the next load tries again).
   */
  revocations(revokedTokens: RevokedTokens): RevokedTokens {
    return {
      afterRevocation: (account) =>
        this.around('cae-revocation', { requestId: currentRequestId(), subject: account.subject }, () => revokedTokens.afterRevocation(account)),
    };
  }
}
