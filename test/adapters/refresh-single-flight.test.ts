import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import nock from 'nock';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { connectRedis, redisReady } from '../../src/adapters/redis/redis-connection.ts';
import { RedisRefreshLock } from '../../src/adapters/redis/redis-refresh-lock.ts';
import { RedisTokenStore } from '../../src/adapters/redis/redis-token-store.ts';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteFileChanges } from '../../src/adapters/sqlite/sqlite-file-changes.ts';
import { SqliteRefreshLock } from '../../src/adapters/sqlite/sqlite-refresh-lock.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork, GRAPH_SCOPES, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

/**
 * One refresh per account at a time. The fake provider rotates refresh tokens and revokes the whole
 * family when a consumed one is used again (as Auth0, Okta and Keycloak can): twenty requests that
 * each redeemed the same refresh token at expiry would sign the user out.
 */
describe('one refresh per account at a time', () => {
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-0000000000f1');
  let entra: FakeEntra;

  beforeEach(() => {
    blockNetwork();
    entra = new FakeEntra().install();
    entra.rotateRefreshTokens = true;
  });
  afterEach(() => nock.cleanAll());

  /** Alice signs in with an access token inside MSAL's renewal margin: the next use refreshes. */
  async function signInNearExpiry(idp: ReturnType<typeof msalIdentityProvider>) {
    entra.accessTokenLifetimeSeconds = 60;
    const account = await signInThroughMsal(idp, entra, alice);
    entra.accessTokenLifetimeSeconds = 3600;
    return account;
  }

  it('20 concurrent requests at expiry on one instance: one refresh, and the user stays signed in', async () => {
    const idp = msalIdentityProvider(entra, new MemoryTokenStore());
    const account = await signInNearExpiry(idp);
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES })),
    );
    expect(entra.calls.refresh_token).to.equal(1);
    expect(new Set(tokens.map((token) => token.token)).size, 'every request got the refreshed token').to.equal(1);
    expect(tokens[0]!.token).to.match(new RegExp(`^at\\.${alice.oid}\\.`));
    // Still signed in: the next refresh (forced) works with the rotated refresh token.
    const next = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES, forceRefresh: true });
    expect(next.token).to.not.equal(tokens[0]!.token);
    expect(entra.calls.refresh_token).to.equal(2);
  });

  it('a forced refresh waits for one in flight and does not count a refresh from before it was asked', async () => {
    const idp = msalIdentityProvider(entra, new MemoryTokenStore());
    const account = await signInNearExpiry(idp);
    const [first, forced] = await Promise.all([
      idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }),
      idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES, forceRefresh: true }),
    ]);
    expect(first.token).to.match(/^at\./);
    expect(forced.token).to.match(/^at\./);
    expect(entra.calls.refresh_token, 'no concurrent use of one refresh token').to.be.at.most(2);
    const again = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
    expect(again.token).to.match(/^at\./);
  });

  it("a forced refresh for a token the API refused takes the one another request's refresh stored meanwhile, without a second refresh", async () => {
    const idp = msalIdentityProvider(entra, new MemoryTokenStore());
    const account = await signInThroughMsal(idp, entra, alice);
    const request = { accountId: account.accountId, scopes: GRAPH_SCOPES };
    const refused = await idp.acquireTokenSilently(request); // in use while, elsewhere, ...
    const refreshedElsewhere = await idp.acquireTokenSilently({ ...request, forceRefresh: true }); // ... another request refreshes
    expect(entra.calls.refresh_token).to.equal(1);

    const forced = await idp.acquireTokenSilently({ ...request, forceRefresh: true, refusedToken: refused.token });
    expect(forced.token, 'the token stored meanwhile').to.equal(refreshedElsewhere.token);
    expect(entra.calls.refresh_token, 'no second refresh').to.equal(1);
    const again = await idp.acquireTokenSilently({ ...request, forceRefresh: true, refusedToken: forced.token });
    expect(again.token, 'refused itself: refreshed').to.not.equal(forced.token);
    expect(entra.calls.refresh_token).to.equal(2);
  });

  it('two requests refused on one token refresh the account once, however their looks interleave with the refresh', async () => {
    /** A store whose second version look waits for the first write: the refresh landing between one request's two looks. */
    class RefreshLandsBetweenLooks extends MemoryTokenStore {
      #looks = 0;
      #written!: () => void;
      readonly written = new Promise<void>((resolve) => (this.#written = resolve));
      armed = false;
      override async version(accountId: string) {
        if (this.armed && ++this.#looks === 2) await Promise.race([this.written, new Promise((resolve) => setTimeout(resolve, 500))]);
        return super.version(accountId);
      }
      override async write(accountId: string, data: string, expectedVersion?: string, summary?: string) {
        const done = await super.write(accountId, data, expectedVersion, summary);
        if (this.armed) this.#written();
        return done;
      }
    }
    const store = new RefreshLandsBetweenLooks();
    const idp = msalIdentityProvider(entra, store);
    const account = await signInThroughMsal(idp, entra, alice);
    const request = { accountId: account.accountId, scopes: GRAPH_SCOPES };
    const refused = await idp.acquireTokenSilently(request);
    store.armed = true;

    const [a, b] = await Promise.all([
      idp.acquireTokenSilently({ ...request, forceRefresh: true, refusedToken: refused.token }),
      idp.acquireTokenSilently({ ...request, forceRefresh: true, refusedToken: refused.token }),
    ]);
    expect(entra.calls.refresh_token, 'one refresh').to.equal(1);
    expect(b.token, 'the same new token for both').to.equal(a.token);
    expect(a.token).to.not.equal(refused.token);
  });

  /** Alice signs in on `a` near expiry; 20 requests split over `a` and `b` redeem her refresh token once, and she stays signed in. */
  async function expectOneRefreshAcross(a: ReturnType<typeof msalIdentityProvider>, b: ReturnType<typeof msalIdentityProvider>) {
    const account = await signInNearExpiry(a);
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES })),
    );
    expect(entra.calls.refresh_token).to.equal(1);
    expect(new Set(tokens.map((token) => token.token)).size).to.equal(1);
    const next = await b.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES, forceRefresh: true });
    expect(next.token).to.match(new RegExp(`^at\\.${alice.oid}\\.`));
    return account;
  }

  describe('two instances sharing Redis', () => {
    const keyPrefix = `test:single-flight:${randomUUID()}:`;
    const connections: Redis[] = [];

    async function instance() {
      const redis = connectRedis({ url: 'redis://127.0.0.1:6379' });
      await redisReady(redis);
      connections.push(redis);
      const tokenStore = new RedisTokenStore({ redis, keyPrefix, tokenTtlSeconds: 3600 });
      return msalIdentityProvider(entra, tokenStore, [], { refreshLock: new RedisRefreshLock({ redis, keyPrefix }) });
    }

    after(async () => {
      const keys = await connections[0]?.keys(`${keyPrefix}*`);
      if (keys?.length) await connections[0]!.del(...keys);
      for (const redis of connections) redis.disconnect();
    });

    it('20 concurrent requests at expiry across two instances: one refresh, and the user stays signed in', async () => {
      const account = await expectOneRefreshAcross(await instance(), await instance());
      expect(await connections[0]!.exists(`${keyPrefix}refresh-lock:${account.accountId}`), 'lock released').to.equal(0);
    });
  });

  // Two app processes on one host (a pm2 cluster), each with its own connection to one file.
  describe('two instances on one SQLite file, each with its own connection (as two processes have)', () => {
    let dir: string;
    const databases: Database.Database[] = [];
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'single-flight-'));
    });
    after(() => {
      for (const db of databases) db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function instance(file: string) {
      const db = openSqliteDatabase(file);
      databases.push(db);
      const tokenStore = new SqliteTokenStore({ db, tokenTtlSeconds: 3600, fileChanges: new SqliteFileChanges(db) });
      return msalIdentityProvider(entra, tokenStore, [], { refreshLock: new SqliteRefreshLock({ db }) });
    }

    it('20 concurrent requests at expiry across the two: one refresh, and the user stays signed in', async () => {
      const file = join(dir, 'app.db');
      await expectOneRefreshAcross(instance(file), instance(file));
      expect(databases[0]!.prepare('SELECT count(*) FROM refresh_locks').pluck().get(), 'lock released').to.equal(0);
    });
  });
});
