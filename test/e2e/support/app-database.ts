import Database from 'better-sqlite3';

export interface TokenPartitionRow {
  readonly account_id: string;
  readonly version: string;
  readonly expires_at: number;
}

/**
 * Reads an app's SQLite file the way an operator would look at it while the app runs: read-only
 * (WAL lets a reader in beside the app's writer), closed again at once.
 */
function inspect<T>(sqlitePath: string, read: (db: Database.Database) => T): T {
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The account's row in `token_partitions`, or undefined when the app holds no tokens for it. */
export function tokenPartition(sqlitePath: string, accountId: string): TokenPartitionRow | undefined {
  return inspect(sqlitePath, (db) =>
    db.prepare<[string], TokenPartitionRow>('SELECT account_id, version, expires_at FROM token_partitions WHERE account_id = ?').get(accountId));
}

/** How many server-side sessions the app keeps for the account. */
export function sessionCount(sqlitePath: string, accountId: string): number {
  return inspect(sqlitePath, (db) =>
    db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sessions WHERE account_id = ?').get(accountId)!.n);
}
