import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asValue } from 'awilix';
import { buildApp } from '../src/app/build-app.ts';
import { createLogger } from '../src/app/observability/logger.ts';
import type { ProviderDiscovery } from '../src/adapters/oidc/provider-discovery.ts';

/**
 * How much server-side state anonymous visitors leave behind: N cookie-less `GET /auth/signin`
 * against the in-process app on SQLite, then the sessions table's row count and the database size.
 *   node_modules/.bin/node bench/anonymous-sign-in-starts.ts [N=100000]   (the project's Node 24)
 */
const starts = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'anonymous-starts-'));
const authority = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47';
const discovery = {
  issuer: `${authority}/v2.0`,
  authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
  token_endpoint: `${authority}/oauth2/v2.0/token`,
  end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
  jwks_uri: `${authority}/discovery/v2.0/keys`,
};
// Only the authorization URL is built: discovery is given, no network.
const staticDiscovery = { configuration: async () => discovery } as unknown as ProviderDiscovery;
// Built as the server builds it (buildApp), so the expiry sweep and WAL checkpoints run as in production.
const { app, container } = await buildApp(
  {
    AUTHORITY: authority,
    CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    CLIENT_SECRET: 'measure-secret',
    PUBLIC_URL: 'http://127.0.0.1',
    SESSION_KEYS: 'measure-session-key-0123456789',
    TOKEN_STORE: 'sqlite',
    SQLITE_PATH: join(dir, 'app.db'),
    TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 1).toString('base64'),
    LOG_LEVEL: 'error',
  },
  { logger: createLogger({ level: 'error', format: 'json' }), overrides: { providerDiscovery: asValue(staticDiscovery) } },
);
const server = createServer(app.callback());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

function start(): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/auth/signin', agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', reject).end();
  });
}

const started = performance.now();
const CONCURRENCY = 20;
let next = 0;
let redirects = 0;
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next++ < starts) if ((await start()) === 302) redirects++;
}));
const seconds = (performance.now() - started) / 1000;
const db = container.cradle.database;
db.pragma('wal_checkpoint(TRUNCATE)');
const rows = (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
const bytes = statSync(join(dir, 'app.db')).size;
console.log(JSON.stringify({ starts, redirects, sessionRows: rows, databaseBytes: bytes, seconds: Math.round(seconds) }));
server.close();
await container.dispose();
rmSync(dir, { recursive: true, force: true });
