import Koa from 'koa';
import type { Context } from 'koa';
import { DEMO_USERS } from '../../demo-users.ts';
import { escapeHtml, sendPage } from '../html.ts';
import { readForm } from '../read-form.ts';
import { assertSameOrigin } from '../same-origin.ts';
import { UnknownDemoUser } from './revoke-user-sessions.ts';
import type { SessionRevocation } from './revoke-user-sessions.ts';

export const REVOKE_SESSIONS_PATH = '/dev/admin/revoke-sessions';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The operator's "Revoke sessions" button, for people and browser tests:
 * `GET /dev/admin/revoke-sessions` shows a form; `POST` with form field `user=<username or
 * sign-in name>` revokes and answers JSON (`SessionRevocation`) when asked for it
 * (`Accept: application/json`), else a page. 404 for an unknown user. Loopback callers only,
 * and no cross-origin form posts.
 */
export function revokeSessionsEndpoint(revoke: (username: string) => Promise<SessionRevocation>): Koa {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.path !== REVOKE_SESSIONS_PATH) return ctx.throw(404);
    if (!LOOPBACK.has(ctx.req.socket.remoteAddress ?? '')) return ctx.throw(403, 'loopback callers only');
    if (ctx.method === 'GET') return sendPage(ctx, 'Revoke sessions', revokeForm());
    if (ctx.method !== 'POST') return ctx.throw(405);
    assertSameOrigin(ctx);
    const username = (await readForm(ctx)).get('user') ?? '';
    try {
      answer(ctx, 200, await revoke(username));
    } catch (error) {
      if (!(error instanceof UnknownDemoUser)) throw error;
      answer(ctx, 404, { error: 'unknown_user', error_description: error.message });
    }
  });
  return app;
}

function answer(ctx: Context, status: number, body: object): void {
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.status = status;
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
    return;
  }
  const lines = Object.entries(body).map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd><code>${escapeHtml(value)}</code></dd>`).join('');
  sendPage(ctx, status === 200 ? 'Sessions revoked' : 'Not revoked', `<dl>${lines}</dl>${revokeForm()}`, status);
}

function revokeForm(): string {
  const options = DEMO_USERS.map((user) => `<option value="${escapeHtml(user.username)}">${escapeHtml(user.name)} (${escapeHtml(user.preferredUsername)})</option>`).join('');
  return `<p>Ends the user's sessions at the provider, revokes their refresh tokens, and makes the demo API refuse their earlier access tokens with a CAE challenge.</p>
<form method="post" action="${REVOKE_SESSIONS_PATH}">
<label>User <select name="user">${options}</select></label>
<button type="submit">Revoke sessions</button>
</form>`;
}
