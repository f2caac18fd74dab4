import {
  ApiChallenge,
  ApiForbidden,
  DomainError,
  DownstreamApiBusy,
  DownstreamApiUnavailable,
  IdentityProviderUnavailable,
  InteractionNotSatisfied,
  InteractionRequired,
  SignInAgainWithClaims,
  SignInFailed,
  SignInRejected,
  SignInUnverified,
  SignOutRejected,
  StoreUnavailable,
} from '../domain/errors.ts';

/**
 * The one table from domain errors to HTTP answers. A failure gets the same status whatever
 * adapter raised it (every store's outage is `StoreUnavailable`, every provider's `IdentityProviderUnavailable`).
 */
const STATUS_OF: ReadonlyArray<readonly [abstract new (...args: never[]) => DomainError, number]> = [
  [IdentityProviderUnavailable, 503],
  [StoreUnavailable, 503],
  [DownstreamApiBusy, 503],
  [DownstreamApiUnavailable, 502],
  [ApiForbidden, 403],
  [ApiChallenge, 502],
  [InteractionNotSatisfied, 502],
  [InteractionRequired, 401],
  [SignInUnverified, 400],
  [SignInRejected, 400],
  [SignInAgainWithClaims, 400],
  [SignInFailed, 400],
  [SignOutRejected, 400],
];

const SERVER_FAULT = 'Something went wrong on our side. Please try again.';

/**
 * Whether an answer's status is this server's fault: logged as an error, and the page offers a
 * reference to look up. A 501 is a 5xx by number but the client's doing (a method no route takes).
 */
export function isServerFault(status: number): boolean {
  return status >= 500 && status !== 501;
}

/**
 * The status and the message a person (or a provider) may see. 4xx say what went wrong; a 5xx
 * says only what a user can do, and the cause stays in the log. Koa's `ctx.throw` errors keep
 * their status; their message shows when it is meant to (`expose`, true for 4xx by default).
 */
export function httpAnswerOf(error: unknown): { status: number; message: string } {
  if (error instanceof DomainError) {
    const status = STATUS_OF.find(([type]) => error instanceof type)?.[1] ?? 500;
    return { status, message: status === 500 ? SERVER_FAULT : error.userMessage };
  }
  const httpError = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 600 && httpError.expose === true) {
    return { status: httpError.status, message: String(httpError.message) };
  }
  return { status: 500, message: SERVER_FAULT };
}
