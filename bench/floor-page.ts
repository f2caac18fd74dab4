import type { FloorOptions } from './floor-server.ts';

const KINDS: Record<string, string> = { access: 'Access token', refresh: 'Refresh token', id: 'ID token' };
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * The floor's profile page: the fields the app's page shows (the user's name, the profile, the tokens
 * held, a form token) as escaped HTML in one template literal, without the app's layout. Rendered by
 * the floor and by the first step of bench/framework-steps.ts.
 */
export function floorPage(options: Pick<FloorOptions, 'account' | 'tokens'>, data: Record<string, unknown>): string {
  const fields = Object.entries(data)
    .filter(([key]) => !key.startsWith('@'))
    .map(([key, value]) => `<dt>${escape(key)}</dt><dd>${escape(typeof value === 'object' ? JSON.stringify(value) : value)}</dd>`)
    .join('\n');
  const tokens = options.tokens
    .map((t) => `<tr><td>${escape(KINDS[t.kind])}</td><td>${t.scopes.length ? escape(t.scopes.join(' ')) : '&mdash;'}</td><td>${t.expiresOn ? escape(t.expiresOn) : '&mdash;'}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Profile</title></head><body>
<header>Signed in as ${escape(options.account.name || options.account.username)}
<form method="post" action="/auth/signout"><input type="hidden" name="_csrf" value="${escape('bench')}"><button>Sign out</button></form></header>
<main><h1>Your profile, from the API</h1><dl class="profile">${fields}</dl>
<table class="tokens"><tbody>${tokens}</tbody></table></main></body></html>`;
}
