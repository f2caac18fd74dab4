import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  readonly payload: AdapterPayload;
  /** Epoch ms; absent when oidc-provider gave no expiry. */
  readonly expiresAt?: number;
}

/** Models whose records belong to a grant and go when the grant is revoked (as in oidc-provider's memory adapter). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export interface JsonFileStore {
  /** oidc-provider's `adapter` option. */
  readonly adapter: AdapterFactory;
  /**
   * Removes every session and grant of one account, and every token and code of those grants
   * (the provider's side of Entra's "Revoke sessions"). Idempotent; reports what it removed, with
   * the refresh tokens' values (an opaque refresh token's value is its id).
   */
  removeAccount(accountId: string): { sessions: number; grants: number; refreshTokens: string[] };
}

/**
 * oidc-provider's storage port backed by one JSON file, so the provider's sessions, grants and
 * refresh tokens survive a restart of the dev provider (the web app's cached refresh tokens keep
 * working). The default in-memory adapter is also process-global, which would mix providers started
 * side by side (one per tenant, and tests); this one belongs to one provider.
 *
 * Dev scale only: everything is held in memory, the file is rewritten synchronously after every
 * change (write to a temp file, then rename, so a crash leaves the old file), and the secondary
 * lookups (`findByUid`, `findByUserCode`, `revokeByGrantId`, `removeAccount`) scan. Expired
 * records are dropped on read and on write.
 */
export function createJsonFileStore(file: string): JsonFileStore {
  const entries = new Map<string, Entry>(existsSync(file) ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>) : []);

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const persist = (): void => {
    for (const key of entries.keys()) live(key);
    writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(entries)), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  };
  const modelOf = (key: string) => key.slice(0, key.indexOf(':'));
  const findWhere = (model: string, matches: (payload: AdapterPayload) => boolean): AdapterPayload | undefined => {
    for (const key of entries.keys()) {
      const entry = key.startsWith(`${model}:`) ? live(key) : undefined;
      if (entry && matches(entry.payload)) return structuredClone(entry.payload);
    }
    return undefined;
  };
  /** Deletes every token and code of these grants; the ids of the refresh tokens deleted. */
  const deleteGrantables = (grantIds: ReadonlySet<string>): string[] => {
    const refreshTokens: string[] = [];
    for (const [key, entry] of entries) {
      if (!GRANTABLE.has(modelOf(key)) || !grantIds.has(String(entry.payload.grantId))) continue;
      if (modelOf(key) === 'RefreshToken') refreshTokens.push(key.slice('RefreshToken:'.length));
      entries.delete(key);
    }
    return refreshTokens;
  };

  const adapter = (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
        entries.set(keyOf(id), { payload: structuredClone(payload), ...(expiresAt === undefined ? {} : { expiresAt }) });
        persist();
      },
      async find(id) {
        const entry = live(keyOf(id));
        return entry && structuredClone(entry.payload);
      },
      async findByUid(uid) {
        return findWhere(model, (payload) => payload.uid === uid);
      },
      async findByUserCode(userCode) {
        return findWhere(model, (payload) => payload.userCode === userCode);
      },
      async consume(id) {
        const entry = live(keyOf(id));
        if (!entry) return;
        entries.set(keyOf(id), { ...entry, payload: { ...entry.payload, consumed: Math.floor(Date.now() / 1000) } });
        persist();
      },
      async destroy(id) {
        if (entries.delete(keyOf(id))) persist();
      },
      async revokeByGrantId(grantId) {
        deleteGrantables(new Set([grantId]));
        persist();
      },
    };
  };

  return {
    adapter,
    removeAccount(accountId) {
      const grantIds = new Set<string>();
      let sessions = 0;
      for (const [key, entry] of entries) {
        if (entry.payload.accountId !== accountId) continue;
        const model = modelOf(key);
        if (model === 'Grant') grantIds.add(key.slice('Grant:'.length));
        if (model === 'Session') sessions += 1;
        if (model === 'Grant' || model === 'Session') entries.delete(key);
      }
      const refreshTokens = deleteGrantables(grantIds);
      persist();
      return { sessions, grants: grantIds.size, refreshTokens };
    },
  };
}
