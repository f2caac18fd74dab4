import { demoUserByOid } from '../demo-users.ts';

/**
 * The demo API's answer for `GET /v1.0/me`: the shape of Microsoft Graph's user resource, so the
 * web app renders the same page offline as with Graph. `undefined` for an unknown `oid`.
 */
export function graphUser(oid: string, baseUrl: string): Record<string, unknown> | undefined {
  const user = demoUserByOid(oid);
  if (!user) return undefined;
  return {
    '@odata.context': `${baseUrl}/v1.0/$metadata#users/$entity`,
    id: user.oid,
    displayName: user.name,
    givenName: user.name.split(' ')[0],
    surname: user.name.split(' ').slice(1).join(' '),
    userPrincipalName: user.preferredUsername,
    mail: user.preferredUsername,
    jobTitle: user.jobTitle,
    officeLocation: user.officeLocation,
    businessPhones: [],
    mobilePhone: null,
    preferredLanguage: 'en-US',
  };
}
