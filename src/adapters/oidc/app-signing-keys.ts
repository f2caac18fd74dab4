import type { Authority } from './authority.ts';

/**
 * Where to read the keys that sign this app's tokens: the provider's `jwks_uri`, and on Entra that
 * address with `appid=<client id>`. Entra signs the tokens of an app that has signing keys of its
 * own (a claims-mapping policy, the certificate of SAML single sign-on) with a key listed only
 * there; for every other app the same address lists the tenant's keys
 * (https://learn.microsoft.com/entra/identity-platform/access-tokens, "Validate the signature").
 * MSAL never checks an ID token's signature, so its samples work without it; this app checks it,
 * and without `appid` every sign-in of such an app failed the check.
 */
export function appSigningKeysUri(jwksUri: string, authority: Authority, clientId: string): string {
  if (authority.kind !== 'entra') return jwksUri;
  const url = new URL(jwksUri);
  if (url.searchParams.has('appid')) return jwksUri;
  url.searchParams.set('appid', clientId);
  return url.href;
}
