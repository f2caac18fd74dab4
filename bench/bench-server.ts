import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CookieSigningKeys } from '../src/app/cookie-signing-keys.ts';
import { signedInSessionData } from '../src/app/session-data.ts';
import { buildBenchApp, deleteBenchKeys } from './bench-app.ts';
import { baselineRoute } from './baseline-route.ts';
import { oidOf } from './bench-users.ts';
import { benchAccount, makePartitionTemplate, partitionFor } from './partition-template.ts';
import { machineClockMs, percentiles, timeCalls } from './stats.ts';

/**
 * One app instance for the benchmark, in its own process so the load generator does not share
 * its event loop: the real app (real MSAL adapter, real stores, encryption on) with `users`
 * token partitions and `sessions` signed-in sessions seeded, plus a baseline route that makes the
 * same downstream call with a fixed token and no session. Driven by the parent over IPC.
 */
export interface BenchServerOptions {
  readonly store: 'sqlite' | 'redis';
  readonly users: number;
  /** Signed-in sessions (session i belongs to user i mod users), each with its own provider sid. */
  readonly sessions: number;
  /** How many of the sessions' cookies to hand to the load generator. */
  readonly cookies: number;
  readonly downstreamUrl: string;
  readonly sqlitePath: string;
  readonly redisKeyPrefix: string;
  /** Parsed partitions kept in memory (TOKEN_MEMORY_CACHE_ENTRIES); the app's default when absent. */
  readonly partitionsInMemory?: number;
}

const options = JSON.parse(process.env.BENCH_SERVER_OPTIONS!) as BenchServerOptions;
const SESSION_KEY = randomBytes(32).toString('base64url');
const COOKIE = 'bench.session';
const SESSION_TTL_MS = 8 * 3600 * 1000;

const template = await makePartitionTemplate();
const { container, app } = await buildBenchApp(template, {
  SESSION_KEYS: SESSION_KEY,
  SESSION_COOKIE_NAME: COOKIE,
  TOKEN_STORE: options.store,
  SQLITE_PATH: options.sqlitePath,
  REDIS_KEY_PREFIX: options.redisKeyPrefix,
  API_URL: options.downstreamUrl,
  ...(options.partitionsInMemory !== undefined ? { TOKEN_MEMORY_CACHE_ENTRIES: String(options.partitionsInMemory) } : {}),
});
const { tokenStore, sessionStore, identityProvider, downstreamApi } = container.cradle;

const accountOf = (user: number, session = user) => benchAccount(template, user, session);

const seedStarted = performance.now();
const BATCH = 500;
for (let start = 0; start < options.users; start += BATCH) {
  const writes = [];
  for (let i = start; i < Math.min(options.users, start + BATCH); i++) {
    writes.push(tokenStore.write(accountOf(i).accountId, partitionFor(template, oidOf(i))));
  }
  await Promise.all(writes);
}
const cookies: string[] = [];
const keygrip = new CookieSigningKeys([SESSION_KEY]);
for (let start = 0; start < options.sessions; start += BATCH) {
  const writes = [];
  for (let i = start; i < Math.min(options.sessions, start + BATCH); i++) {
    const account = accountOf(i % options.users, i);
    const id = `bench-session-${i}`;
    const data = { ...signedInSessionData(account, Date.now()), _expire: Date.now() + SESSION_TTL_MS, _maxAge: SESSION_TTL_MS };
    writes.push(sessionStore.set(id, data, { sid: account.sid, subject: account.subject, accountId: account.accountId }, SESSION_TTL_MS));
    if (i < options.cookies) cookies.push(`${COOKIE}=${id}; ${COOKIE}.sig=${keygrip.sign(`${COOKIE}=${id}`)}`);
  }
  await Promise.all(writes);
}
const seedSeconds = (performance.now() - seedStarted) / 1000;

// The baseline (baseline-route.ts): the same page with a fixed token, no session or token store.
const fixedAccount = accountOf(0);
const fixedToken = await identityProvider.acquireTokenSilently({ accountId: fixedAccount.accountId, scopes: template.apiScopes });
const fixedTokens = await identityProvider.cachedTokens(fixedAccount.accountId);
app.use(baselineRoute({ downstreamApi, token: fixedToken.token, account: fixedAccount, tokens: fixedTokens }));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));

process.send!({
  type: 'ready',
  port: (server.address() as AddressInfo).port,
  cookies,
  seedSeconds,
  partitionBytes: partitionFor(template, oidOf(0)).length,
  floor: {
    token: fixedToken.token,
    account: { name: fixedAccount.name, username: fixedAccount.username },
    tokens: fixedTokens.map((t) => ({ kind: t.kind, scopes: t.scopes, expiresOn: t.expiresOn ? `${t.expiresOn.toISOString().replace('T', ' ').slice(0, 19)} UTC` : undefined })),
  },
});

process.on('message', async (message: { type: string; samples?: number; among?: number }) => {
  if (message.type === 'silent') {
    // Silent token acquisition alone (the port call), random users among the first `among` (all
    // partitions unless said).
    const among = Math.min(message.among ?? options.users, options.users);
    const { timings, cpuMicrosPerCall } = await timeCalls(
      message.samples!,
      () => accountOf(Math.floor(Math.random() * among)).accountId,
      (accountId) => identityProvider.acquireTokenSilently({ accountId, scopes: template.apiScopes }),
    );
    process.send!({ type: 'silent', ...percentiles(timings), cpuMicrosPerCall, among, bound: container.cradle.config.partitionsInMemory });
  } else if (message.type === 'watch') {
    process.send!({ type: 'watching', ...(await watchSessions((message as unknown as { ids: string[] }).ids)) });
  } else if (message.type === 'dropped') {
    process.send!({ type: 'dropped', at: Object.fromEntries(dropped) });
  } else if (message.type === 'rss') {
    global.gc?.();
    global.gc?.();
    // Anonymous resident memory: the process's own. File-backed pages (SQLite's memory map of the
    // database file) count in RSS too but belong to the OS page cache and are reclaimable.
    const rssAnon = Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
    process.send!({ type: 'rss', rss: process.memoryUsage().rss, rssAnon, heapUsed: process.memoryUsage().heapUsed });
  } else if (message.type === 'stop') {
    server.close();
    server.closeAllConnections();
    if (options.store === 'redis') await deleteBenchKeys(container.cradle.redis, options.redisKeyPrefix);
    await container.dispose();
    process.exit(0);
  }
});

/**
 * Holds the given sessions in memory and notes, on the same clock as the parent process
 * (`machineClockMs`), when each copy is dropped by an invalidation: the parent then
 * deletes them from another Redis connection (another instance) and compares. Sessions from the
 * end of the seeded range, not used by the load or the sign-out test.
 */
const dropped = new Map<string, number>();
async function watchSessions(ids: readonly string[]) {
  const { redisInvalidations } = container.cradle;
  // The stored (Redis) session store holds the copies; the app's is measured in front of it.
  const store = container.cradle.storedSessionStore as unknown as { holds(id: string): boolean };
  const watched = new Map(ids.map((id) => [`${options.redisKeyPrefix}session:${id}`, id]));
  redisInvalidations.subscribe({
    keys: (keys) => {
      const at = machineClockMs();
      for (const key of keys) if (watched.has(key) && !dropped.has(watched.get(key)!)) dropped.set(watched.get(key)!, at);
    },
    lost: () => {},
  });
  let held = 0;
  for (const id of ids) {
    await sessionStore.get(id);
    if (store.holds(id)) held++;
  }
  return { held };
}
