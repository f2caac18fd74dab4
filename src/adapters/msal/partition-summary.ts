import type { CachedToken } from '../../ports/identity-provider.port.ts';
import { CACHED_TOKEN_KINDS } from './cached-tokens.ts';
import { partitionView, scopeArrays, usableAccessToken, type PartitionView, type UsableAccessToken } from './partition-view.ts';

/**
 * The summary stored beside each partition (TokenStore `write`'s `summary`): its PartitionView
 * without the version, as JSON. A request that does not hold the view in memory reads, decrypts and
 * parses this (the access tokens and the list of tokens held, about half of the partition) instead
 * of MSAL's whole cache; the refresh token is not in it, so it is never decrypted on that path.
 *
 * Made when the partition is written, from the very cache written, by the same rules as
 * `partitionView` (for this account and client), so a view from the summary is the view from the
 * data. `FORMAT` names the shape: a summary of another shape (an earlier or later release) is not
 * read, and the data is read instead.
 */
const FORMAT = 1;

interface StoredSummary {
  readonly format: typeof FORMAT;
  readonly accessTokens: readonly Omit<UsableAccessToken, 'granted'>[];
  /** `expiresOn` in epoch ms, as `Date` keeps it. */
  readonly held: readonly { kind: CachedToken['kind']; scopes: readonly string[]; expiresOn?: number }[];
}

/** The summary of a serialized MSAL cache for `accountId`, `clientId` and `authority`; `undefined` when it is not MSAL's JSON. */
export function summarizePartition(serializedCache: string, accountId: string, clientId: string, authority = ''): string | undefined {
  let view: PartitionView;
  try {
    view = partitionView(serializedCache, '', accountId, clientId, authority);
  } catch {
    return undefined; // not JSON: nothing to summarize, the data is read as it is
  }
  const summary: StoredSummary = {
    format: FORMAT,
    accessTokens: view.accessTokens.map(({ secret, scopes, cachedAt, expiresOn, refreshOn }) => ({ secret, scopes, cachedAt, expiresOn, refreshOn })),
    held: view.held.map(({ kind, scopes, expiresOn }) => ({ kind, scopes, expiresOn: expiresOn?.getTime() })),
  };
  // A number JSON cannot spell (NaN from a damaged `expires_on`) would come back as null: no summary.
  if (!summary.accessTokens.every((token) => Number.isFinite(token.cachedAt) && Number.isFinite(token.expiresOn))) return undefined;
  return JSON.stringify(summary);
}

/**
 * The view a summary describes, with the partition's `version`; `undefined` when it is not a summary
 * of this format (the caller then reads the data). Never throws on what the store gave.
 */
export function viewFromSummary(summary: string, version: string): PartitionView | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(summary);
  } catch {
    return undefined;
  }
  if (!isRecord(stored) || stored.format !== FORMAT || !Array.isArray(stored.accessTokens) || !Array.isArray(stored.held)) return undefined;
  const held: CachedToken[] = [];
  for (const entry of stored.held as unknown[]) {
    if (!isRecord(entry) || !CACHED_TOKEN_KINDS.has(entry.kind) || !isScopes(entry.scopes, { mayBeEmpty: true })) return undefined;
    if (entry.expiresOn !== undefined && !Number.isFinite(entry.expiresOn)) return undefined;
    held.push({
      kind: entry.kind as CachedToken['kind'],
      scopes: entry.scopes,
      ...(entry.expiresOn !== undefined ? { expiresOn: new Date(entry.expiresOn as number) } : {}),
    });
  }
  const scopesOf = scopeArrays(held);
  const accessTokens: UsableAccessToken[] = [];
  for (const token of stored.accessTokens as unknown[]) {
    if (!isRecord(token) || typeof token.secret !== 'string' || token.secret === '' || !isScopes(token.scopes)) return undefined;
    const { cachedAt, expiresOn, refreshOn } = token;
    if (!Number.isFinite(cachedAt) || !Number.isFinite(expiresOn) || (refreshOn !== undefined && !Number.isFinite(refreshOn))) return undefined;
    accessTokens.push(
      usableAccessToken({
        secret: token.secret,
        scopes: scopesOf(token.scopes.join(' ')),
        cachedAt: cachedAt as number,
        expiresOn: expiresOn as number,
        refreshOn: refreshOn as number | undefined,
      }),
    );
  }
  return { version, accessTokens, held };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Scopes as a view lists them: an access token has at least one; an ID or refresh token may have none. */
function isScopes(value: unknown, options: { mayBeEmpty?: boolean } = {}): value is string[] {
  if (!Array.isArray(value) || (value.length === 0 && !options.mayBeEmpty)) return false;
  return value.every((scope) => typeof scope === 'string' && scope !== '');
}

/**
 * How the request path reads this client's partitions: from their summaries, else from MSAL's
 * whole cache (the PartitionReading of src/adapters/partition-cache, which the container wires).
 */
export function partitionViewReading(clientId: string, authority: string) {
  return {
    summarize: (data: string, accountId: string) => summarizePartition(data, accountId, clientId, authority),
    fromSummary: viewFromSummary,
    fromData: (data: string, version: string, accountId: string) => partitionView(data, version, accountId, clientId, authority),
  };
}
