/**
 * The MSAL versions whose serialized cache format (sections `Account`, `AccessToken`,
 * `RefreshToken`, `IdToken`; snake_case fields `home_account_id`, `environment`, `realm`,
 * `client_id`, `target`, `expires_on`, `refresh_on`, `cached_at`, `token_type`, `key_id`) and
 * access-token matching rules (msal-common CacheManager.getAccessToken, SilentFlowClient) were
 * last checked against partition-view.ts, which reads that format without MSAL on the hot path.
 *
 * test/adapters/msal-cache-format.test.ts fails when the installed versions differ: re-read those
 * files of the new version, update partition-view.ts if anything moved, then these numbers.
 */
export const MSAL_CACHE_FORMAT_CHECKED_WITH = Object.freeze({
  '@azure/msal-node': '7.2.3',
  '@azure/msal-common': '16.17.0',
});

/** One entry of MSAL's serialized cache (an account, an access, refresh or ID token), as far as this app reads it. */
export interface SerializedCredential {
  readonly home_account_id?: string;
  readonly environment?: string;
  readonly realm?: string;
  readonly credential_type?: string;
  readonly client_id?: string;
  readonly secret?: string;
  readonly target?: string;
  readonly token_type?: string;
  readonly key_id?: string;
  readonly cached_at?: string;
  readonly expires_on?: string;
  readonly refresh_on?: string;
}

/** MSAL's serialized cache: sections (`Account`, `AccessToken`, `RefreshToken`, `IdToken`) of entries by key. */
export type SerializedCache = Record<string, Record<string, SerializedCredential> | undefined>;
