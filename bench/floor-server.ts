import { Agent, createServer, request } from 'node:http';

/**
 * The floor: the least any server can spend on the profile page. A bare `node:http` process, no
 * framework, that makes the same downstream call as the app (keep-alive agent, the same fixed token
 * as the baseline route) and renders the same fields (the user's name, the profile, the tokens held,
 * a form token) as escaped HTML. What the app costs per request is reported as a multiple of this.
 */
export interface FloorOptions {
  readonly downstreamUrl: string;
  readonly token: string;
  readonly account: { readonly name?: string; readonly username: string };
  readonly tokens: readonly { kind: string; scopes: readonly string[]; expiresOn?: string }[];
}

const options = JSON.parse(process.env.BENCH_FLOOR_OPTIONS!) as FloorOptions;
const api = new URL(options.downstreamUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const KINDS: Record<string, string> = { access: 'Access token', refresh: 'Refresh token', id: 'ID token' };
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function profile(): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request(
      { host: api.hostname, port: api.port, path: api.pathname, agent, headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(JSON.parse(body) as Record<string, unknown>) : reject(new Error(`${response.statusCode}`))));
      },
    )
      .on('error', reject)
      .end();
  });
}

function page(data: Record<string, unknown>): string {
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

const server = createServer((req, res) => {
  profile().then(
    (data) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page(data));
    },
    () => res.writeHead(502).end(),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'ready', port: (server.address() as { port: number }).port }));
process.on('message', (message: { type: string }) => {
  if (message.type === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
