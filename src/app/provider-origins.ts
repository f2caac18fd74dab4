import type { OpenIdConfiguration } from '../adapters/oidc/openid-configuration.ts';

/**
 * The origins of the provider's pages that the browser meets: AUTHORITY's, and its end-session
 * endpoint's, which discovery may put on another host (Entra's `login.microsoft.com` authority
 * publishes `login.microsoftonline.com` endpoints; other providers have a separate logout host).
 * The front-channel logout page allows them as `frame-ancestors` (the provider's sign-out page
 * frames it). Space-separated; AUTHORITY's alone until discovery is held.
 */
export function providerOrigins(authority: string, discovery: { readonly held: OpenIdConfiguration | undefined }): () => string {
  const authorityOrigin = new URL(authority).origin;
  let known: string | undefined;
  return () => {
    if (known !== undefined) return known;
    const held = discovery.held;
    if (!held) return authorityOrigin;
    const endSession = held.end_session_endpoint ? new URL(held.end_session_endpoint).origin : authorityOrigin;
    known = [...new Set([authorityOrigin, endSession])].join(' ');
    return known;
  };
}
