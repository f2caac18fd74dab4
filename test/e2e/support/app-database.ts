import { existsSync } from 'node:fs';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteSessionStore } from '../../../src/adapters/sqlite/sqlite-session-store.ts';
import { SqliteTokenStore } from '../../../src/adapters/sqlite/sqlite-token-store.ts';
import type { IndexedSession } from '../../../src/ports/session-store.port.ts';
import type { TokenPartition } from '../../../src/ports/token-store.port.ts';

/**
 * Reads a running app's SQLite file through the app's own store adapters (the ports), not through
 * SQL against its table layout: a test then says what the app holds, whatever the schema. The file
 * is opened beside the running app (WAL lets a reader in beside its writer) and closed again at once.
 */
async function withStores<T>(sqlitePath: string, read: (stores: { tokens: SqliteTokenStore; sessions: SqliteSessionStore }) => Promise<T>): Promise<T> {
  if (!existsSync(sqlitePath)) throw new Error(`no app database at ${sqlitePath}`);
  const db = openSqliteDatabase(sqlitePath);
  try {
    // The TTL only matters to writes; these are reads.
    return await read({ tokens: new SqliteTokenStore({ db, tokenTtlSeconds: 60 }), sessions: new SqliteSessionStore({ db }) });
  } finally {
    db.close();
  }
}

/** The account's token partition (sealed data and version), or undefined when the app holds no tokens for it. */
export function tokenPartition(sqlitePath: string, accountId: string): Promise<TokenPartition | undefined> {
  return withStores(sqlitePath, ({ tokens }) => tokens.read(accountId));
}

/** The app's sessions of the account. */
export function sessionsOf(sqlitePath: string, accountId: string): Promise<IndexedSession[]> {
  return withStores(sqlitePath, ({ sessions }) => sessions.findByAccount(accountId));
}

/** How many server-side sessions the app keeps for the account. */
export async function sessionCount(sqlitePath: string, accountId: string): Promise<number> {
  return (await sessionsOf(sqlitePath, accountId)).length;
}

/** The provider session ids (`sid`) of the account's sessions. */
export function sessionSids(sqlitePath: string, accountId: string): Promise<string[]> {
  return withStores(sqlitePath, async ({ sessions }) => {
    const sids = await Promise.all((await sessions.findByAccount(accountId)).map(async ({ id }) => sidOf(await sessions.get(id))));
    return sids.flatMap((sid) => (sid ? [sid] : []));
  });
}

/** How many of the app's sessions carry the provider session id `sid`. */
export function sessionsWithSid(sqlitePath: string, sid: string): Promise<number> {
  return withStores(sqlitePath, async ({ sessions }) => (await sessions.findBySid(sid)).length);
}

function sidOf(data: Record<string, unknown> | undefined): string | undefined {
  const account = data?.account as { sid?: unknown } | undefined;
  return typeof account?.sid === 'string' ? account.sid : undefined;
}
