import { pino } from 'pino';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { EncryptingTokenStore } from '../../src/adapters/encryption/encrypting-token-store.ts';
import { TokenKeyring } from '../../src/adapters/encryption/token-keyring.ts';
import { refreshTokenSecrets } from '../../src/adapters/msal/partition-secrets.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';
import { devOperatorEnvironment } from '../../src/dev/dev-operator-environment.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import type { DevStackSecrets } from '../../src/dev/dev-stack-secrets.ts';
import { discover, tokenRequest } from '../dev/support/sign-in.ts';
import { sessionCount, tokenPartition } from './support/app-database.ts';
import { browse, postForms, signInToProfile } from './support/journeys.ts';
import { accountIdOf, startTestStack, type TestStack } from './support/test-stack.ts';

const ENTRY = new URL('../../src/signout.ts', import.meta.url).pathname;
const SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';

/**
 * `npm run signout` against the offline stack's app A (its SQLite file), with the environment the
 * command builds for the stack, and the dev provider serving RFC 7009 revocation: the refresh token
 * app A held is refused afterwards.
 */
describe('dev stack end to end: refresh tokens revoked on sign-out (SQLite, revocation on)', function () {
  this.timeout(90_000);
  const ALICE = accountIdOf('alice');
  const BOB = accountIdOf('bob');
  let world: TestStack;

  before(async () => (world = await startTestStack({ revocation: true })));
  after(() => world?.close());

  /** The refresh token app A holds for the account, read (and decrypted) beside the running app. */
  async function heldRefreshToken(accountId: string): Promise<string> {
    const secrets = JSON.parse(await readFile(join(world.dataDir, 'dev-stack-secrets.json'), 'utf8')) as DevStackSecrets;
    const db = new Database(world.appA.sqlitePath, { readonly: true, fileMustExist: true });
    try {
      const store = new EncryptingTokenStore({
        inner: new SqliteTokenStore({ db }),
        keyring: new TokenKeyring(secrets.tokenEncryptionKeys.map((key) => Buffer.from(key, 'base64'))),
        clientId: world.appA.clientId,
        logger: pino({ level: 'silent' }),
      });
      const [token] = refreshTokenSecrets((await store.read(accountId))?.data ?? '', world.appA.clientId);
      if (!token) throw new Error(`app A holds no refresh token for ${accountId}`);
      return token;
    } finally {
      db.close();
    }
  }

  /** What the dev provider answers app A's refresh with this token: `accepted`, or the error. */
  async function refreshAtProvider(refreshToken: string): Promise<string> {
    const { appA, stack } = world;
    const ca = await readFile(stack.caCertPath, 'utf8');
    const secrets = JSON.parse(await readFile(join(world.dataDir, 'dev-stack-secrets.json'), 'utf8')) as DevStackSecrets;
    const appClient = { clientId: appA.clientId, clientSecret: secrets.clientSecrets[appA.clientId]!, redirectUri: `${appA.url}/auth/redirect` };
    return tokenRequest(ca, await discover(ca, stack.issuer), appClient, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: SCOPES,
    }).then(() => 'accepted', (error: unknown) => String(error));
  }

  it('the app revokes the refresh token it held as the user signs out, before the browser reaches the provider', async () => {
    const { appA } = world;
    const browser = world.browser();
    const { page } = await signInToProfile(browser, appA, 'alice');
    const refreshToken = await heldRefreshToken(ALICE);
    expect(await refreshAtProvider(refreshToken), 'valid before').to.equal('accepted');
    const form = postForms(page.text).find((candidate) => candidate.action === '/auth/signout')!;

    const answer = await browser.post(`${appA.url}/auth/signout`, form.hidden, { headers: { origin: appA.url } });

    expect(answer.status).to.equal(302);
    expect(new URL(answer.redirectUrl!).origin, 'not yet at the provider').to.equal(new URL(world.stack.issuer).origin);
    expect(await refreshAtProvider(refreshToken)).to.match(/400.*invalid_grant/);
  });

  it('signs her out of both browsers and revokes the refresh token her partition holds (the second sign-in\'s) when she signs out everywhere', async () => {
    const { appA } = world;
    const laptop = world.browser();
    await signInToProfile(laptop, appA, 'alice');
    const laptopToken = await heldRefreshToken(ALICE);
    const phone = world.browser();
    const { page } = await signInToProfile(phone, appA, 'alice');
    const phoneToken = await heldRefreshToken(ALICE);
    expect(phoneToken, 'the phone sign-in replaced the partition').to.not.equal(laptopToken);
    expect((await laptop.get(`${appA.url}/profile`)).status, 'the laptop goes on with the new tokens').to.equal(200);
    const sessionsPage = await phone.get(`${appA.url}/sessions`);
    const form = postForms(sessionsPage.text).find((candidate) => candidate.action === '/sessions/everywhere')!;
    expect(page.status).to.equal(200);

    const answer = await phone.post(`${appA.url}/sessions/everywhere`, form.hidden, { headers: { origin: appA.url } });

    expect(answer.status).to.equal(302);
    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's tokens").to.equal(undefined);
    expect(await sessionCount(appA.sqlitePath, ALICE), "alice's sessions, the laptop's too").to.equal(0);
    expect(await refreshAtProvider(phoneToken), 'the token the partition held').to.match(/400.*invalid_grant/);
  });

  it('keeps the new refresh token working when she signs in again in the same browser (prompt=login): nothing revoked then', async () => {
    const { appA } = world;
    const browser = world.browser();
    await signInToProfile(browser, appA, 'alice');
    const first = await heldRefreshToken(ALICE);
    const again = await browse(browser, `${appA.url}/auth/signin?prompt=login&returnTo=%2Fprofile`, { username: 'alice' });
    expect(again.page.status, again.page.text.slice(0, 300)).to.equal(200);
    const second = await heldRefreshToken(ALICE);

    expect(second).to.not.equal(first);
    expect(await refreshAtProvider(second), 'the token the partition holds').to.equal('accepted');
    const sessionsPage = await browser.get(`${appA.url}/sessions`);
    const everywhere = postForms(sessionsPage.text).find((candidate) => candidate.action === '/sessions/everywhere')!;
    expect((await browser.post(`${appA.url}/sessions/everywhere`, everywhere.hidden, { headers: { origin: appA.url } })).status).to.equal(302);
  });

  it('npm run signout ends her sessions, removes her tokens from the SQLite file, and the provider refuses her refresh token', async () => {
    const { appA, appB, stack } = world;
    const aliceBrowser = world.browser();
    const bobBrowser = world.browser();
    await signInToProfile(aliceBrowser, appA, 'alice');
    await signInToProfile(bobBrowser, appA, 'bob');
    const refreshToken = await heldRefreshToken(ALICE);
    const env = devOperatorEnvironment(
      {
        PORT: new URL(appA.url).port,
        SECOND_APP_PORT: new URL(appB.url).port,
        DEV_IDP_PORT: new URL(stack.issuer).port,
        DEMO_API_PORT: new URL(stack.demoApiUrl).port,
        LOG_LEVEL: 'info',
      },
      world.dataDir,
    );
    expect(env).to.include({ SQLITE_PATH: appA.sqlitePath, CLIENT_ID: appA.clientId, AUTHORITY: stack.issuer });

    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [ENTRY, '--subject', demoUserByUsername('alice')!.oid], { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/sessions ended: +1\n/).and.match(/refresh token: +revoked at the provider\n/);
    expect(await tokenPartition(appA.sqlitePath, ALICE), "alice's tokens").to.equal(undefined);
    expect(await sessionCount(appA.sqlitePath, ALICE), "alice's sessions").to.equal(0);
    expect(await refreshAtProvider(refreshToken)).to.match(/400.*invalid_grant/);
    const alicePage = await aliceBrowser.get(`${appA.url}/profile`);
    expect(alicePage.status).to.equal(302);
    expect(alicePage.redirectUrl).to.match(/\/auth\/signin/);
    expect((await bobBrowser.get(`${appA.url}/profile`)).status, 'bob is untouched').to.equal(200);
    expect(await tokenPartition(appA.sqlitePath, BOB)).to.not.equal(undefined);
  });
});
