import type { OfferedOnRefusal } from './middleware/error-handler.ts';

/**
 * What one middleware tells a later one about this request (`ctx.state`), every field in one place.
 * Koa types `ctx.state` as `any` (DefaultStateExtends in @types/koa), so a field declared here is
 * read and written with its type; one not declared here is no field of this app's.
 */
declare module 'koa' {
  interface DefaultState {
    /** This request's id (`X-Request-Id`), set first of all (observability/request-context.ts). */
    requestId: string;
    /** The id under which this request loaded or stored its session (session.ts). */
    storedSessionId?: string;
    /** The session was loaded before the answer was made: the error page may show who is signed in (session.ts). */
    sessionLoaded?: boolean;
    /** What the error page offers to do again (error-handler.ts `offerOnRefusal`). */
    offeredOnRefusal?: OfferedOnRefusal;
    /** The page a refused, failed or cancelled sign-in was for: the error page's sign-in links go back to it (auth-routes.ts). */
    signInReturnTo?: string;
    /** The sign-in that failed, at its start or its callback, was a "Sign in with another account" (`prompt=login`): tried again as one. */
    signInForAnotherAccount?: boolean;
    /** The pending sign-in cookies this answer clears (pending-sign-in-cookie.ts). */
    pendingSignInsCleared?: Set<string>;
  }
}
