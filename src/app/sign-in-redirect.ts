import type Koa from 'koa';
import type { BeginSignIn, SignIn } from '../domain/sign-in.ts';
import { noStore } from './middleware/security-headers.ts';
import type { PendingSignInCookie } from './pending-sign-in-cookie.ts';

/** What starting a sign-in needs: the use case, and where the browser keeps the pending sign-in. */
export interface SignInStart {
  readonly signIn: SignIn;
  readonly pendingSignIns: PendingSignInCookie;
}

/** Starts a sign-in and sends the browser to the provider; the browser's cookie remembers it, not the server. */
export async function redirectToSignIn(ctx: Koa.Context, start: SignInStart, request: BeginSignIn): Promise<void> {
  const { authorizationUrl, pending } = await start.signIn.begin(request);
  start.pendingSignIns.write(ctx, pending);
  noStore(ctx);
  ctx.redirect(authorizationUrl);
}
