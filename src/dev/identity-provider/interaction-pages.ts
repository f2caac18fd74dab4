import { DEMO_PASSWORD } from '../demo-users.ts';
import type { DemoUser } from '../demo-users.ts';
import { escapeHtml } from './html.ts';

/** What a scope lets the app do, in the words of a consent screen. */
function describeScope(scope: string): string {
  switch (scope) {
    case 'openid': return 'Sign you in';
    case 'profile': return 'See your name and username';
    case 'email': return 'See your email address';
    case 'offline_access': return 'Keep access to what you allowed, even when you are away';
    default: return 'Use the API on your behalf';
  }
}

export interface LoginFormOptions {
  readonly action: string;
  /** Absent on the `common` page, which has no interaction to abort. */
  readonly abortAction?: string;
  readonly clientId: string;
  readonly loginHint: string;
  /** The demo users listed as a reminder. */
  readonly users: readonly DemoUser[];
  /** The tenant signing in, or undefined on the `common` page (any tenant). */
  readonly tenantName?: string;
  readonly error?: string;
}

export function loginForm(options: LoginFormOptions): string {
  const { action, abortAction, clientId, loginHint, error } = options;
  const users = options.users.map((user) => `<li><code>${escapeHtml(user.username)}</code> (${escapeHtml(user.name)}, ${escapeHtml(user.preferredUsername)})</li>`).join('');
  const where = options.tenantName ? ` with your <strong>${escapeHtml(options.tenantName)}</strong> account` : '';
  return `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<p>Sign in${where} to continue to <strong>${escapeHtml(clientId)}</strong>.</p>
<form method="post" action="${escapeHtml(action)}">
<label>Username <input name="username" value="${escapeHtml(loginHint)}" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
${abortAction ? `<form method="post" action="${escapeHtml(abortAction)}"><button type="submit">Cancel</button></form>` : ''}
<p class="note">Demo users, password <code>${escapeHtml(DEMO_PASSWORD)}</code>:</p><ul class="note">${users}</ul>`;
}

/**
 * The scopes not yet granted, accepted or declined together as on Entra's consent screen (no
 * scope can be left out: an app granted part of what it asked for gets tokens its API refuses, a
 * dead end for the user). Only the missing ones are listed, so incremental consent is visible: when
 * the app later asks for one more scope, only that one is.
 */
export function consentForm(action: string, abortAction: string, clientId: string, scopes: readonly string[]): string {
  const items = scopes.map((scope) => `<li>${escapeHtml(describeScope(scope))} <code class="scope">${escapeHtml(scope)}</code></li>`).join('\n');
  return `<p><strong>${escapeHtml(clientId)}</strong> asks for your permission to:</p>
<ul>
${items}
</ul>
<form method="post" action="${escapeHtml(action)}"><button type="submit">Accept</button></form>
<form method="post" action="${escapeHtml(abortAction)}"><button type="submit">Cancel</button></form>`;
}
