import type { Account, AccessToken, ClientCredentials, FindAccount, UnknownObject } from 'oidc-provider';
import { demoUserByOid } from '../demo-users.ts';

/**
 * oidc-provider's `findAccount` for the demo users. `accountId` (and so `sub`) is the user's
 * `oid`: one stable id per user, as the web app keys its cache by `<oid>.<tid>` anyway.
 * `login_hint` is what Entra puts in that optional claim for the app to pass back as
 * `logout_hint`; here it is simply the user's sign-in name. Only the tenant's own users exist in it.
 */
export function findDemoAccount(tenantId: string): FindAccount {
  return (_ctx, sub): Account | undefined => {
    const user = demoUserByOid(sub);
    if (!user || user.tenantId !== tenantId) return undefined;
    return {
      accountId: user.oid,
      claims: () => ({
        sub: user.oid,
        oid: user.oid,
        tid: tenantId,
        login_hint: user.preferredUsername,
        name: user.name,
        preferred_username: user.preferredUsername,
        email: user.preferredUsername,
      }),
    };
  };
}

/** Which scope grants which claim (consulted for id_tokens and userinfo). */
export const DEMO_CLAIMS = {
  openid: ['sub', 'oid', 'tid', 'login_hint'],
  profile: ['name', 'preferred_username'],
  email: ['email'],
};

/**
 * Entra v2 access token claims (`extraTokenClaims`): `scp` is the space-separated scope names
 * without the API's `<audience>/` prefix, as Entra writes them (oidc-provider's own `scope` claim
 * keeps the full values); `oid`/`tid` identify the user and tenant, `azp` the calling app.
 */
export function entraAccessTokenClaims(tenantId: string, audience: string) {
  return (_ctx: unknown, token: AccessToken | ClientCredentials): UnknownObject | undefined => {
    if (!('accountId' in token) || !token.accountId) return undefined;
    const user = demoUserByOid(token.accountId);
    const scp = (token.scope ?? '').split(' ').filter(Boolean).map((scope) => (scope.startsWith(`${audience}/`) ? scope.slice(audience.length + 1) : scope));
    return {
      ver: '2.0',
      oid: token.accountId,
      tid: tenantId,
      azp: token.clientId,
      scp: scp.join(' '),
      ...(user ? { name: user.name, preferred_username: user.preferredUsername } : {}),
    };
  };
}
