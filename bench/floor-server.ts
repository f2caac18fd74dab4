import { Agent, createServer, request } from 'node:http';
import { floorPage } from './floor-page.ts';

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

const server = createServer((req, res) => {
  profile().then(
    (data) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(floorPage(options, data));
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
