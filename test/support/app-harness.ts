import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { buildApp } from '../../src/app/build-app.ts';
import { createAppContainer, type AppContainer } from '../../src/app/container.ts';
import { FakeEntra, type FakeUser } from './fake-entra.ts';
import { captureLogs } from './captured-logs.ts';
import { blockNetwork } from './msal-harness.ts';
import { ScriptedBrowser } from './scripted-browser.ts';

export const GRAPH = 'https://graph.microsoft.com';
/** Tokens are always encrypted at rest (TOKEN_ENCRYPTION_KEYS is required); one fixed key for tests. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 11).toString('base64');

export interface TestApp {
  readonly baseUrl: string;
  readonly container: AppContainer;
  readonly logs: string[];
  /**
   * A fresh browser with its own cookie jar; `headers` go with each of its requests. With a
   * proxy's `X-Forwarded-Proto: https` it is the browser behind that TLS-terminating proxy, so its
   * `Secure` cookies reach the app over this plain-http loopback.
   */
  browser(headers?: Record<string, string>): ScriptedBrowser;
  close(): Promise<void>;
}

/** What a test may swap in the container (a fake clock, a wrapped store). */
export type ContainerOverrides = Parameters<typeof createAppContainer>[2];

/** The real app (real MSAL adapter, real stores) on a loopback port, against a fake Entra. */
export async function startTestApp(
  entra: FakeEntra,
  env: Record<string, string> = {},
  overrides: ContainerOverrides = {},
): Promise<TestApp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { logger, lines: logs } = captureLogs('debug');
  const testEnv: Record<string, string> = {
    AUTHORITY: entra.authority,
    CLIENT_ID: entra.clientId,
    CLIENT_SECRET: 'test-secret',
    PUBLIC_URL: baseUrl,
    SESSION_KEYS: 'test-session-key-0123456789',
    TOKEN_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEY,
    TOKEN_STORE: 'memory',
    HTTP_TIMEOUT_MS: '2000',
    ...env,
  };
  // A journal file is held by one app (a second on it is refused): each Redis app of a test gets
  // its own, unless the test names one, and none is left in the repository's ./data.
  const journalDir = testEnv.TOKEN_STORE === 'redis' && !testEnv.SIGN_OUT_JOURNAL_PATH ? mkdtempSync(join(tmpdir(), 'test-journal-')) : undefined;
  if (journalDir) testEnv.SIGN_OUT_JOURNAL_PATH = join(journalDir, 'sign-out-journal.json');
  // The same composition as the server's: the expiry sweep and the journal's replay run here too.
  const { container, app } = await buildApp(testEnv, { logger, overrides });
  server.on('request', app.callback());
  return {
    baseUrl,
    container,
    logs,
    browser: (headers = {}) => new ScriptedBrowser({ baseUrl, headers, behindTlsProxy: headers['x-forwarded-proto'] === 'https' }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.dispose();
      if (journalDir) rmSync(journalDir, { recursive: true, force: true });
    },
  };
}

/** Graph `/me` faked: answers the profile of the user the bearer token was issued to. */
export function fakeGraph(users: readonly FakeUser[]): void {
  nock(GRAPH)
    .persist()
    .get('/v1.0/me')
    // nock 15 hands a reply function the fetch Request itself.
    .reply((request: unknown) => {
      const token = ((request as Request).headers.get('authorization') ?? '').replace(/^Bearer /, '');
      const user = users.find((u) => token.startsWith(`at.${u.oid}.`));
      if (!user) return [401, { error: { code: 'InvalidAuthenticationToken' } }];
      return [200, { id: user.oid, displayName: user.name, userPrincipalName: user.username }];
    });
}

/** The pending sign-in cookies (one per sign-in in progress, `<name>.<digest of state>`) `browser` holds. */
export function pendingSignInCookies(browser: ScriptedBrowser, cookieName = 'app.session.pending'): string[] {
  return browser.cookieNamesFor().filter((name) => name.startsWith(`${cookieName}.`));
}

/** Signs `user` in through the app with a browser: /auth/signin, the provider, /auth/redirect. */
export async function signInWithBrowser(
  browser: ScriptedBrowser,
  entra: FakeEntra,
  user: FakeUser,
  options: { sid?: string; returnTo?: string; iss?: string } = {},
) {
  const start = await browser.get(`/auth/signin${options.returnTo ? `?returnTo=${encodeURIComponent(options.returnTo)}` : ''}`);
  if (start.status !== 302 || !start.location) throw new Error(`sign-in did not redirect: ${start.status}`);
  const { code, state } = entra.authorize(start.location, user, options.sid);
  const response = new URLSearchParams({ code, state, ...(options.iss !== undefined && { iss: options.iss }) });
  return browser.get(`/auth/redirect?${response}`);
}

/**
 * The usual set-up of an in-process app test: real network off, a fake Entra (adjusted by
 * `prepare`), Graph answering for `users`, and the app on a loopback port.
 */
export async function startAppWithFakeEntra(
  users: readonly FakeUser[],
  env: Record<string, string> = {},
  prepare: (entra: FakeEntra) => void = () => {},
  overrides: ContainerOverrides = {},
  entraOptions: ConstructorParameters<typeof FakeEntra>[0] = {},
): Promise<{ entra: FakeEntra; app: TestApp }> {
  blockNetwork();
  const entra = new FakeEntra(entraOptions).install();
  prepare(entra);
  fakeGraph(users);
  return { entra, app: await startTestApp(entra, env, overrides) };
}

/** Undoes `startAppWithFakeEntra`. */
export async function stopTestApp(app: TestApp | undefined): Promise<void> {
  await app?.close();
  nock.cleanAll();
}
