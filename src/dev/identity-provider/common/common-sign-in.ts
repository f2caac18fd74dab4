import type { Context } from 'koa';
import { DEMO_PASSWORD, DEMO_USERS, demoUserByUsername } from '../../demo-users.ts';
import { sendPage } from '../html.ts';
import { loginForm } from '../interaction-pages.ts';
import { readForm } from '../read-form.ts';
import { SIGN_IN_TICKET_COOKIE, SIGN_IN_TICKET_TTL_MS } from '../sign-in-tickets.ts';
import type { SignInTickets } from '../sign-in-tickets.ts';

/** The `common` sign-in page; its form posts back here with the authorization request in the query. */
export const COMMON_SIGN_IN_PATH = '/common/login';

/**
 * The `common` sign-in page, for an authorization request no tenant could be chosen for: the same
 * form as a tenant's login page, listing the users of every tenant. The authorization request
 * rides in the form's action URL, so a script that posts only `username` and `password` works.
 */
export function showCommonSignIn(ctx: Context, request: URLSearchParams, error?: { message: string; username: string }): void {
  const hint = request.get('login_hint') ?? '';
  sendPage(ctx, 'Sign in', loginForm({
    action: `${COMMON_SIGN_IN_PATH}?${request}`,
    clientId: request.get('client_id') ?? '',
    loginHint: error?.username ?? hint,
    users: DEMO_USERS,
    ...(error ? { error: error.message } : {}),
  }), error ? 401 : 200);
}

/**
 * `POST /common/login?<authorization request>`: checks the password, leaves a one-time ticket
 * for the user's tenant (cookie), and sends the browser back to the `common` authorization
 * endpoint with `login_hint` set, which routes it to that tenant. `select_account` is dropped
 * from `prompt` (the account was just chosen); `login` stays, and the ticket answers it.
 */
export async function completeCommonSignIn(ctx: Context, tickets: SignInTickets, authorizationPath: string): Promise<void> {
  const request = new URLSearchParams(ctx.querystring);
  const form = await readForm(ctx);
  const username = form.get('username') ?? '';
  const user = demoUserByUsername(username);
  if (!user || form.get('password') !== DEMO_PASSWORD) {
    return showCommonSignIn(ctx, request, { message: 'Wrong username or password.', username });
  }
  const ticket = tickets.issue(user, (name) => request.get(name) ?? undefined);
  ctx.cookies.set(SIGN_IN_TICKET_COOKIE, ticket, { path: '/', httpOnly: true, secure: true, sameSite: 'lax', maxAge: SIGN_IN_TICKET_TTL_MS, signed: false });

  request.set('login_hint', user.preferredUsername);
  const prompts = (request.get('prompt') ?? '').split(' ').filter((prompt) => prompt && prompt !== 'select_account');
  if (prompts.length) request.set('prompt', prompts.join(' '));
  else request.delete('prompt');
  ctx.set('cache-control', 'no-store');
  ctx.status = 303;
  ctx.redirect(`${authorizationPath}?${request}`);
}
