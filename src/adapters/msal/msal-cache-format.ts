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
