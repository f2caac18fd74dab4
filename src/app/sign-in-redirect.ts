import type Koa from 'koa';
import type { BeginSignIn, SignIn } from '../domain/sign-in.ts';
import { noStore } from './middleware/security-headers.ts';

/** Starts a sign-in and sends the browser to the provider; the session remembers it. */
export async function redirectToSignIn(ctx: Koa.Context, signIn: SignIn, request: BeginSignIn): Promise<void> {
  const { authorizationUrl, pending } = await signIn.begin(request);
  ctx.session!.pendingSignIn = pending;
  noStore(ctx);
  ctx.redirect(authorizationUrl);
}
