import { pino } from 'pino';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { EncryptingTokenStore } from '../../src/adapters/encryption/encrypting-token-store.ts';
import { TokenKeyring } from '../../src/adapters/encryption/token-keyring.ts';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { claimedFor, openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { RedisSessionStore } from '../../src/adapters/redis/redis-session-store.ts';
import { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';
import { buildApp } from '../../src/app/build-app.ts';
import { doneBeforeFailing } from '../../src/app/operator-sign-out.ts';
import type { SignOutResult } from '../../src/domain/sign-out-result.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { WEB_APP, asTestClient, startDevProviderFixture, type DevProviderFixture } from '../dev/support/dev-provider-fixture.ts';
import { signIn, tokenRequest } from '../dev/support/sign-in.ts';
import { freePort } from '../e2e/support/free-port.ts';

const ENTRY = new URL('../../src/signout.ts', import.meta.url).pathname;
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
const SCOPES = 'api://demo-api/Profile.Read openid profile offline_access';
const client = asTestClient(WEB_APP);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run signout -- <args>` as a separate process (asynchronously: the provider answering it runs in this one). */
function runSignout(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const { PATH, HOME } = process.env;
    execFile(process.execPath, [ENTRY, ...args], { env: { PATH, HOME, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A partition in MSAL's serialized cache format holding this refresh token (what the app would store). */
function msalPartition(accountId: string, refreshToken: string): string {
  const entry = { home_account_id: accountId, environment: 'localhost', credential_type: 'RefreshToken', client_id: client.clientId, secret: refreshToken };
  return JSON.stringify({ Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: { [`${accountId}-localhost-refreshtoken-${client.clientId}--`]: entry }, AppMetadata: {} });
}

/**
 * The operator's sign-out against Redis, as its own process with the app's environment: alice has
 * two sessions and a partition holding a refresh token the dev provider (revocation on) really
 * issued; the command must end both sessions, remove the partition and get the token revoked.
 */
describe('npm run signout (operator sign-out) against Redis', function () {
  this.timeout(60_000);
  const alice = demoUserByUsername('alice')!;
  const bob = demoUserByUsername('bob')!;
  let fixture: DevProviderFixture;
  let redis: Redis;
  let dir: string;
  let env: Record<string, string>;
  let sessions: RedisSessionStore;
  let tokens: EncryptingTokenStore;
  let aliceRefreshToken: string;
  const accountOf = (user: typeof alice) => `${user.oid}.${user.tenantId}`;

  before(async () => {
    fixture = await startDevProviderFixture({ revocation: true });
    redis = connectRedis({ url: 'redis://127.0.0.1:6379' });
    await redisReady(redis);
  });
  after(async () => {
    redis.disconnect();
    await fixture.stop();
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'operator-sign-out-'));
    const keyPrefix = `test:operator:${randomUUID()}:`;
    env = {
      AUTHORITY: fixture.idp.issuer,
      CLIENT_ID: client.clientId,
      CLIENT_SECRET: client.clientSecret,
      TOKEN_STORE: 'redis',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: keyPrefix,
      SESSION_KEYS: 'operator-test-session-key',
      TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY,
      SIGN_OUT_JOURNAL_PATH: join(dir, 'journal.json'),
      NODE_EXTRA_CA_CERTS: fixture.idp.caCertPath,
      LOG_LEVEL: 'info',
    };
    sessions = new RedisSessionStore({ redis, keyPrefix });
    tokens = new EncryptingTokenStore({
      inner: new RedisTokenStore({ redis, keyPrefix, tokenTtlSeconds: 3600 }),
      keyring: new TokenKeyring([Buffer.from(ENCRYPTION_KEY, 'base64')]),
      clientId: client.clientId,
      logger: pino({ level: 'silent' }),
    });
    aliceRefreshToken = (await signIn(fixture.browser, fixture.ca, fixture.discovery, client, { username: 'alice', scope: SCOPES })).tokens.refresh_token!;
    for (const [user, refreshToken] of [[alice, aliceRefreshToken], [bob, 'rt-of-bob']] as const) {
      await tokens.write(accountOf(user), msalPartition(accountOf(user), refreshToken));
    }
    const index = (user: typeof alice, sid: string) => ({ sid, subject: user.oid, accountId: accountOf(user) });
    await sessions.set('alice-laptop', { n: 1 }, index(alice, 'sid-1'), 60_000);
    await sessions.set('alice-phone', { n: 2 }, index(alice, 'sid-2'), 60_000);
    await sessions.set('bob-laptop', { n: 3 }, index(bob, 'sid-3'), 60_000);
  });
  afterEach(async () => {
    const keys = await redis.keys(`${env.REDIS_KEY_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    await rm(dir, { recursive: true, force: true });
  });

  async function refreshWith(refreshToken: string): Promise<string> {
    return tokenRequest(fixture.ca, fixture.discovery, client, { grant_type: 'refresh_token', refresh_token: refreshToken, scope: SCOPES }).then(
      () => 'ok',
      (error: unknown) => String(error),
    );
  }

  /** What the stores hold for bob (his session, found by sid and subject, and his partition, with its version): untouched means deep-equal. */
  async function bobNow() {
    return {
      session: await sessions.get('bob-laptop'),
      bySid: await sessions.findBySid('sid-3'),
      bySubject: await sessions.findBySubject(bob.oid),
      partition: await tokens.read(accountOf(bob)),
    };
  }

  it('ends every session of the subject, removes the tokens, gets the refresh token revoked, and prints what it did', async () => {
    expect(await refreshWith(aliceRefreshToken), 'valid before').to.equal('ok');
    const bobBefore = await bobNow();
    expect(bobBefore.partition, 'the snapshot holds a partition').to.not.equal(undefined);

    const run = await runSignout(['--subject', alice.oid], env);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain(`Signed out subject ${alice.oid}:`);
    expect(run.stdout).to.match(/sessions ended: +2\n/).and.match(/tokens: +removed\n/).and.match(/refresh token: +revoked at the provider\n/);
    expect(run.stdout, 'what is left for the operator to do').to.contain('revoke the user\'s sessions at the provider too');
    expect(await sessions.findBySubject(alice.oid)).to.deep.equal([]);
    expect(await tokens.read(accountOf(alice))).to.equal(undefined);
    expect(await refreshWith(aliceRefreshToken)).to.match(/400.*invalid_grant/);
    expect(await bobNow(), "bob's session and tokens, as they were").to.deep.equal(bobBefore);
    const audit = run.stderr.split('\n').filter((line) => line.includes('"event":"sign-out"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ channel: 'operator', outcome: 'removed', subject: alice.oid, sessionsEnded: 2, partitionRemoved: true, revocation: 'revoked' });
    expect(run.stdout + run.stderr, 'never the token').to.not.contain(aliceRefreshToken);
  });

  it('exits 3, signed out here, when the provider does not revoke the refresh token: no all-clear for a script', async () => {
    const run = await runSignout(['--subject', bob.oid], { ...env, CLIENT_SECRET: 'not-the-secret' });

    expect(run.code, run.stderr).to.equal(3);
    expect(run.stdout).to.match(/tokens: +removed\n/).and.match(/refresh token: +NOT revoked/);
    expect(await sessions.findBySubject(bob.oid)).to.deep.equal([]);
    expect(await tokens.read(accountOf(bob))).to.equal(undefined);
    const audit = run.stderr.split('\n').filter((line) => line.includes('"event":"sign-out"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit[0]).to.include({ channel: 'operator', outcome: 'removed', revocation: 'failed' });
  });

  it('signs out by --account, finding the sessions through the account', async () => {
    const run = await runSignout(['--account', accountOf(alice)], env);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain(`Signed out account ${accountOf(alice)} (subject ${alice.oid}):`);
    expect(await sessions.findByAccount(accountOf(alice))).to.deep.equal([]);
    expect(await tokens.read(accountOf(alice))).to.equal(undefined);
  });

  it("refuses (exit 2) a --subject and an --account of two users, signs nobody out, and audits no sign-out", async () => {
    const bobBefore = await bobNow();
    const run = await runSignout(['--subject', alice.oid, '--account', accountOf(bob)], env);

    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr).to.contain(`is signed in as another user (subject ${bob.oid})`);
    expect(await sessions.findBySubject(alice.oid)).to.have.length(2);
    expect(await bobNow(), "bob's session and tokens, as they were").to.deep.equal(bobBefore);
    expect(run.stderr).to.not.contain('"event":"sign-out"');
  });

  it('reports a user with nothing stored as such, and succeeds', async () => {
    const run = await runSignout(['--subject', 'nobody-at-all'], env);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain('No session of subject nobody-at-all in this app, so no tokens found through one.');
    expect(run.stdout, 'no more than it knows: tokens may outlive their sessions').to.not.contain('no tokens in this app');
    const byAccount = await runSignout(['--account', 'nobody.tenant'], env);
    expect(byAccount.code, byAccount.stderr).to.equal(0);
    expect(byAccount.stdout, 'the account looked up itself').to.contain('Nothing stored for account nobody.tenant: no session and no tokens in this app.');
    expect(await sessions.findBySubject(alice.oid)).to.have.length(2);
  });

  it('reports nothing stored, and succeeds, on the prefix of an app instance that holds no session (nobody signed in)', async () => {
    const idle = { ...env, REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX}idle:` };
    const { container } = await buildApp(idle, { logger: pino({ level: 'silent' }) });
    try {
      for (let i = 0; i < 50 && (await redis.keys(`${idle.REDIS_KEY_PREFIX}*`)).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const run = await runSignout(['--subject', alice.oid], idle);

      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.contain(`No session of subject ${alice.oid} in this app`);
    } finally {
      await container.dispose();
    }
  });

  it('exits 1 rather than report "nothing stored" when nothing at all is under its REDIS_KEY_PREFIX: not where the app writes', async () => {
    const run = await runSignout(['--subject', alice.oid], { ...env, REDIS_KEY_PREFIX: `${env.REDIS_KEY_PREFIX}wrong:` });
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stderr).to.contain(`Nothing stored under REDIS_KEY_PREFIX=${env.REDIS_KEY_PREFIX}wrong: in this Redis database at all`);
    expect(run.stdout).to.equal('');
    expect(await sessions.findBySubject(alice.oid), 'alice untouched').to.have.length(2);
  });

  it('exits 1, with no all-clear, when it cannot check what is under REDIS_KEY_PREFIX (SCAN refused by an ACL)', async () => {
    const user = `operator-no-scan-${process.pid}`;
    await redis.call('ACL', 'SETUSER', user, 'on', '>no-scan-password', '~*', '&*', '+@all', '-scan');
    try {
      const url = new URL(env.REDIS_URL!);
      url.username = user;
      url.password = 'no-scan-password';
      const run = await runSignout(['--subject', 'nobody-at-all'], { ...env, REDIS_URL: url.href });
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr).to.contain('Could not check that anything is stored under REDIS_KEY_PREFIX');
      expect(run.stdout, 'no "Nothing stored"').to.equal('');
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  it('exits 2 with the usage for bad arguments, and 1 when the store cannot be reached', async () => {
    const noTarget = await runSignout([], env);
    const unknown = await runSignout(['--user', 'alice'], env);
    const downPort = await freePort();
    const storeDown = await runSignout(['--subject', alice.oid], { ...env, REDIS_URL: `redis://operator:s3cret-pw@127.0.0.1:${downPort}` });

    expect([noTarget.code, unknown.code, storeDown.code]).to.deep.equal([2, 2, 1]);
    expect(noTarget.stderr).to.contain('Usage: npm run signout');
    expect(storeDown.stderr).to.match(new RegExp(`Sign-out failed \\(reference [0-9a-f-]+\\): Redis at 127\\.0\\.0\\.1:${downPort} \\(REDIS_URL\\) did not answer\n`));
    expect(storeDown.stderr, "the app's words for its requests, not the command's").to.not.contain('requests that need it answer 503');
    expect(storeDown.stderr, 'never the password').to.not.contain('s3cret-pw');
    expect(storeDown.stderr).to.contain('"outcome":"failed"');
    expect(storeDown.stderr).to.contain('run the command again once the store answers');
    expect(await sessions.findBySubject(alice.oid), 'nothing changed').to.have.length(2);
  });

  it('refuses a second --subject or --account (exit 2) instead of signing out only the last one named', async () => {
    for (const args of [['--subject', alice.oid, '--subject', bob.oid], ['--account', accountOf(alice), '--account', accountOf(bob)]]) {
      const run = await runSignout(args, env);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stderr).to.contain('Name one user a run');
    }
    expect(await sessions.findBySubject(alice.oid), 'nothing changed').to.have.length(2);
    expect(await sessions.findBySubject(bob.oid)).to.have.length(1);
  });

  it('refuses a blank --subject or --account (exit 2), also next to the other, instead of signing out less than asked', async () => {
    for (const args of [['--subject', alice.oid, '--account', ''], ['--subject', ' ', '--account', accountOf(alice)], ['--account', '']]) {
      const run = await runSignout(args, env);
      expect(run.code, JSON.stringify(args)).to.equal(2);
      expect(run.stderr).to.contain('Usage: npm run signout');
    }
    expect(await sessions.findBySubject(alice.oid), 'nothing changed').to.have.length(2);
  });

  it('answers --help and bad arguments before looking at the environment: without AUTHORITY, and in production', async () => {
    for (const environment of [{}, { NODE_ENV: 'production' }] as Record<string, string>[]) {
      const help = await runSignout(['--help'], environment);
      expect(help.code, JSON.stringify(environment)).to.equal(0);
      expect(help.stdout).to.contain('Usage: npm run signout');
      const bad = await runSignout(['--bogus'], environment);
      expect(bad.code, JSON.stringify(environment)).to.equal(2);
      expect(bad.stderr).to.contain('Usage: npm run signout');
    }
  });

  it('exits 1 naming the setting when the store is out of its reach, and creates nothing', async () => {
    const missingFile = join(dir, 'elsewhere', 'app.db');
    const memory = await runSignout(['--subject', alice.oid], { ...env, TOKEN_STORE: 'memory' });
    const noDatabase = await runSignout(['--subject', alice.oid], { ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: missingFile });
    // A developer without SESSION_KEYS: `npm start` would generate a key file beside the database.
    const { SESSION_KEYS: _keys, ...withoutKeys } = env;
    const noKeys = await runSignout(['--subject', alice.oid], { ...withoutKeys, TOKEN_STORE: 'sqlite', SQLITE_PATH: missingFile });

    expect([memory.code, noDatabase.code, noKeys.code]).to.deep.equal([1, 1, 1]);
    expect(noKeys.stderr).to.contain(`Cannot run: no database at SQLITE_PATH=${missingFile}`);
    expect(memory.stderr).to.contain('Cannot run: TOKEN_STORE=memory keeps sessions and tokens inside each app process');
    expect(noDatabase.stderr).to.contain(`Cannot run: no database at SQLITE_PATH=${missingFile}`);
    expect(memory.stdout + noDatabase.stdout, 'never "nothing stored"').to.equal('');
    expect(existsSync(join(dir, 'elsewhere')), 'no folder or file made').to.equal(false);
  });

  it("exits 1 for a SQLITE_PATH that is not the app's database (empty, another program's), and leaves it as it was", async () => {
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const run = await runSignout(['--subject', alice.oid], { ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: empty });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain(`SQLITE_PATH=${empty}`).and.contain("is not the app's database");
    expect(run.stdout, 'never "nothing stored"').to.equal('');
    expect(statSync(empty).size, 'no schema written into it').to.equal(0);

    const foreign = join(dir, 'other-program.db');
    const other = new Database(foreign);
    other.pragma('journal_mode = WAL');
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    const onForeign = await runSignout(['--subject', alice.oid], { ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: foreign });
    expect(onForeign.code).to.equal(1);
    expect(onForeign.stderr).to.contain("is not the app's database");
    const reopened = new Database(foreign, { readonly: true });
    expect(reopened.prepare('SELECT name FROM sqlite_master').all(), 'its own tables only').to.deep.equal([{ name: 'notes' }]);
    reopened.close();
  });

  it("never claims a SQLite file for its own CLIENT_ID, and refuses one another app has claimed (exit 1)", async () => {
    const file = join(dir, 'app.db');
    openSqliteDatabase(file).close(); // the app's schema, claimed by no app yet (a file from before the claim)
    const sqlite = { ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: file };
    const mistyped = await runSignout(['--subject', alice.oid], { ...sqlite, CLIENT_ID: 'mistyped-client-id' });
    expect(mistyped.code, mistyped.stderr).to.equal(0);
    const claims = () => {
      const db = new Database(file, { readonly: true });
      const rows = db.prepare('SELECT client_id FROM app_client').all();
      db.close();
      return rows;
    };
    expect(claims(), 'the command claims nothing').to.deep.equal([]);

    const app = openSqliteDatabase(file);
    claimedFor(app, client.clientId, 'record'); // the app's first start
    app.close();
    const onClaimed = await runSignout(['--subject', alice.oid], { ...sqlite, CLIENT_ID: 'mistyped-client-id' });
    expect(onClaimed.code).to.equal(1);
    expect(onClaimed.stderr).to.contain(`it holds the sessions and tokens of another app (CLIENT_ID "${client.clientId}")`);
    expect(onClaimed.stdout, 'never "nothing stored"').to.equal('');
    expect((await runSignout(['--subject', alice.oid], sqlite)).code, "with the app's own CLIENT_ID").to.equal(0);
    expect(claims()).to.deep.equal([{ client_id: client.clientId }]);
  });

  it('audits a sign-out that fails because the store cannot be used (a database from a newer release), without advising a retry', async () => {
    const newer = join(dir, 'newer.db');
    const db = new Database(newer);
    db.exec('CREATE TABLE token_partitions (account_id TEXT PRIMARY KEY)');
    db.pragma('user_version = 99');
    db.close();
    const run = await runSignout(['--subject', alice.oid], { ...env, TOKEN_STORE: 'sqlite', SQLITE_PATH: newer });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain('schema version 99 is newer');
    const audit = run.stderr.split('\n').filter((line) => line.includes('"event":"sign-out"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(audit, 'one audit event').to.have.length(1);
    expect(audit[0]).to.include({ channel: 'operator', outcome: 'failed' });
    expect(run.stderr).to.not.contain('run the command again');
  });
});

describe('npm run signout: what a failed sign-out says it did', () => {
  const failed = (partitionRemoved: boolean, revocation: SignOutResult['revocation']): SignOutResult => ({
    channel: 'operator',
    outcome: 'failed',
    subject: 'sub-1',
    sessionsEnded: 0,
    partitionRemoved,
    revocation,
    journaled: false,
  });

  it('says the refresh token was revoked when removing the tokens failed, without claiming they were removed', () => {
    const text = doneBeforeFailing(failed(false, 'revoked'));

    expect(text).to.contain('Removing the tokens failed').and.contain('revocation first (outcome: revoked)');
    expect(text).to.not.contain('were removed').and.not.contain('Nothing was reported as done');
  });

  it('says what was removed, or that nothing was done', () => {
    expect(doneBeforeFailing(failed(true, 'revoked'))).to.match(/^The tokens were removed before the failure \(refresh token: revoked at the provider\)/);
    expect(doneBeforeFailing(failed(false, 'not-attempted'))).to.equal('Nothing was reported as done');
  });
});
