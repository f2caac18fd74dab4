import Database from 'better-sqlite3';

/**
 * The provider session ids (`sid`) of an account's sessions in an app's SQLite file, read-only
 * beside the running app, as `test/e2e/support/app-database.ts` reads tokens.
 */
export function sessionSids(sqlitePath: string, accountId: string): string[] {
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[string], { sid: string | null }>('SELECT sid FROM sessions WHERE account_id = ?').all(accountId)
      .flatMap(({ sid }) => (sid ? [sid] : []));
  } finally {
    db.close();
  }
}

/** How many sessions of the app carry the provider session id `sid`. */
export function sessionsWithSid(sqlitePath: string, sid: string): number {
  const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM sessions WHERE sid = ?').get(sid)!.n;
  } finally {
    db.close();
  }
}
