/**
 * The app's own CPU per request, without sockets: requests handed to the Koa app in this process
 * (`app.callback()` with an in-memory request and response), the downstream API answered from
 * memory. What is left is the app's own work (middleware, session, tokens, rendering), without the
 * kernel's share of each request (about as much again on the ninth machine, in the floor as in the
 * app), which is what a change to the request path can move. Prints, per route, CPU µs per request
 * (median of rounds, routes in turn), and what the signed-in page and the session add (medians of
 * the round-by-round differences). Run it more than once: whole runs moved by 3–5 µs here.
 *   node_modules/.bin/node bench/in-process-routes.ts [sqlite|redis] [rounds=7] [requests per round=20000]
 * Redis must run on 127.0.0.1:6379 for `redis`; the keys it writes are deleted at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asValue } from 'awilix';
import { CookieSigningKeys } from '../src/app/cookie-signing-keys.ts';
import { signedInSessionData } from '../src/app/session-data.ts';
import { buildBenchApp, deleteBenchKeys } from './bench-app.ts';
import { baselineRoute } from './baseline-route.ts';
import { oidOf } from './bench-users.ts';
import { benchAccount, makePartitionTemplate, partitionFor } from './partition-template.ts';
import { median } from './stats.ts';

const [store = 'sqlite', roundsArg = '7', requestsArg = '20000'] = process.argv.slice(2);
if (store !== 'sqlite' && store !== 'redis') throw new Error('the store is sqlite or redis');
const [rounds, requests] = [Number(roundsArg), Number(requestsArg)];
const USERS = 100;
const SESSION_KEY = 'in-process-bench-key-0123456789abcdef';
const COOKIE = 'bench.session';
const dir = mkdtempSync(join(tmpdir(), 'bench-in-process-'));
const prefix = `bench-in-process:${process.pid}:`;

const template = await makePartitionTemplate();
const profile = { displayName: 'User', mail: 'user@bench.example', id: 'bench' };
const { container, app } = await buildBenchApp(template, {
  TOKEN_STORE: store,
  SQLITE_PATH: join(dir, 'app.db'),
  REDIS_KEY_PREFIX: prefix,
  SESSION_KEYS: SESSION_KEY,
  SESSION_COOKIE_NAME: COOKIE,
}, { downstreamApi: asValue({ get: async () => profile }) }); // the API answered from memory: only the app's own work is measured
const { tokenStore, sessionStore, identityProvider, downstreamApi } = container.cradle;

const keygrip = new CookieSigningKeys([SESSION_KEY]);
const cookies: string[] = [];
for (let user = 0; user < USERS; user++) {
  const account = benchAccount(template, user);
  await tokenStore.write(account.accountId, partitionFor(template, oidOf(user)));
  const id = `bench-session-${user}`;
  const ttl = 8 * 3600_000;
  await sessionStore.set(id, { ...signedInSessionData(account, Date.now()), _expire: Date.now() + ttl, _maxAge: ttl }, { sid: account.sid, subject: account.subject, accountId: account.accountId }, ttl);
  cookies.push(`${COOKIE}=${id}; ${COOKIE}.sig=${keygrip.sign(`${COOKIE}=${id}`)}`);
}

const fixedAccount = benchAccount(template, 0);
const fixedToken = await identityProvider.acquireTokenSilently({ accountId: fixedAccount.accountId, scopes: template.apiScopes });
const fixedTokens = await identityProvider.cachedTokens(fixedAccount.accountId);
app.use(baselineRoute({ downstreamApi, token: fixedToken.token, account: fixedAccount, tokens: fixedTokens }));
const handle = app.callback();

async function request(path: string, cookie: string | undefined): Promise<number> {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = path;
  req.headers = { host: '127.0.0.1', ...(cookie ? { cookie } : {}) };
  const res = new ServerResponse(req);
  await handle(req, res);
  return res.statusCode;
}

const routes = {
  'baseline (route, no cookie)': { path: '/bench/baseline', signedIn: false },
  'baseline with session': { path: '/bench/baseline', signedIn: true },
  'GET /profile': { path: '/profile', signedIn: true },
} as const;
type RouteName = keyof typeof routes;

async function cpuPerRequest(name: RouteName): Promise<number> {
  const { path, signedIn } = routes[name];
  const before = process.cpuUsage();
  for (let n = 0; n < requests; n++) {
    const status = await request(path, signedIn ? cookies[n % USERS] : undefined);
    if (status !== 200) throw new Error(`${path} answered ${status}`);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / requests;
}

const names = Object.keys(routes) as RouteName[];
for (const name of names) await cpuPerRequest(name); // warm-up
const figures = new Map<RouteName, number[]>(names.map((name) => [name, []]));
for (let round = 0; round < rounds; round++) for (const name of names) figures.get(name)!.push(await cpuPerRequest(name));
const at = (name: RouteName, round: number) => figures.get(name)![round]!;
const paired = (a: RouteName, b: RouteName) => median([...Array(rounds).keys()].map((round) => at(a, round) - at(b, round)));
for (const name of names) console.log(`${name.padEnd(30)} ${median(figures.get(name)!).toFixed(1).padStart(6)} µs CPU per request`);
console.log(`${'what sign-in adds'.padEnd(30)} ${paired('GET /profile', 'baseline (route, no cookie)').toFixed(1).padStart(6)} µs`);
console.log(`${'  of which the session'.padEnd(30)} ${paired('baseline with session', 'baseline (route, no cookie)').toFixed(1).padStart(6)} µs`);
console.log(`${'  of which the tokens'.padEnd(30)} ${paired('GET /profile', 'baseline with session').toFixed(1).padStart(6)} µs`);

if (store === 'redis') await deleteBenchKeys(container.cradle.redis, prefix);
await container.dispose();
rmSync(dir, { recursive: true, force: true });
