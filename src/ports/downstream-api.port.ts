/**
 * The web API the app calls for the signed-in user (Microsoft Graph `/me` in production, the demo
 * API offline).
 */
export interface DownstreamApi {
  /**
   * Calls the API with `accessToken`:
   * - resolves to the API's JSON body on a 2xx answer;
   * - rejects with `ApiChallenge` on 401, carrying the decoded `claims` of a claims challenge
   *   (`WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64>"`) when there is one;
   * - rejects with `ApiForbidden` on 403;
   * - rejects with `DownstreamApiBusy` (a `DownstreamApiUnavailable`) when the API says it is busy
   *   or down for now (429, 503), with the seconds its `Retry-After` asks for;
   * - rejects with `DownstreamApiUnavailable` when the API cannot be reached, times out or fails.
   */
  get(accessToken: string): Promise<unknown>;
}
