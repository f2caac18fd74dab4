import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import nock from 'nock';
import type Database from 'better-sqlite3';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteTokenStore } from '../../src/adapters/sqlite/sqlite-token-store.ts';
import { FakeEntra, fakeUser, type FakeUser } from '../support/fake-entra.ts';
import { blockNetwork, GRAPH_SCOPES, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

/**
 * One MSAL client shared by many users was measured to mix their tokens under concurrency (bob's
 * written into alice's partition). This proves the per-request client keeps every partition to its
 * own user.
 */
describe('MSAL + SQLite token isolation under concurrency', () => {
  const USERS = 60;
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    blockNetwork();
    dir = mkdtempSync(join(tmpdir(), 'isolation-'));
    db = openSqliteDatabase(join(dir, 'tokens.db'));
  });
  afterEach(() => {
    nock.cleanAll();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`gives each of ${USERS} concurrent users their own token and keeps partitions single-account`, async () => {
    const entra = new FakeEntra().install();
    entra.accessTokenLifetimeSeconds = 60; // every silent call refreshes: the riskiest path
    const store = new SqliteTokenStore({ db });
    const idp = msalIdentityProvider(entra, store);
    const users: FakeUser[] = Array.from({ length: USERS }, (_, i) => fakeUser(`user${i}`));

    const accounts = await Promise.all(users.map((user) => signInThroughMsal(idp, entra, user)));
    const rounds = await Promise.all(
      accounts.flatMap((account, i) =>
        [0, 1, 2].map(async () => ({
          oid: users[i]!.oid,
          token: (await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES })).token,
        })),
      ),
    );

    expect(entra.calls.refresh_token).to.equal(USERS * 3);
    const foreign = rounds.filter(({ oid, token }) => !token.startsWith(`at.${oid}.`));
    expect(foreign, 'responses carrying another user token').to.deep.equal([]);
    for (const [i, account] of accounts.entries()) {
      const cache = JSON.parse((await store.read(account.accountId))!.data) as Record<string, Record<string, { home_account_id: string }>>;
      const owners = new Set(
        ['Account', 'IdToken', 'AccessToken', 'RefreshToken'].flatMap((kind) =>
          Object.values(cache[kind] ?? {}).map((entry) => entry.home_account_id),
        ),
      );
      expect([...owners], `partition of ${users[i]!.name}`).to.deep.equal([account.accountId]);
    }
  });
});
