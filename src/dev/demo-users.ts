import { CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID } from './demo-tenants.ts';

/**
 * The people who exist in the offline dev world, each in one tenant (their home directory). The
 * identity provider signs them in and the demo API describes them, so both read this one list: an
 * `oid` minted by the provider is always one the API knows.
 *
 * `oid` values are fixed GUIDs so the web app's homeAccountId (`<oid>.<tid>`) is the same across
 * restarts of the dev provider, as it is for a real Entra user.
 */
export interface DemoUser {
  readonly username: string;
  readonly oid: string;
  /** The home tenant: the only one that signs this user in, and the `tid` of their tokens. */
  readonly tenantId: string;
  readonly name: string;
  readonly preferredUsername: string;
  readonly jobTitle: string;
  readonly officeLocation: string;
}

/** Shown on the login page: this is a dev tool, not a secret. */
export const DEMO_PASSWORD = 'demo';

export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  {
    username: 'alice',
    oid: '00000000-0000-0000-66f3-3332eca7ea81',
    tenantId: CONTOSO_TENANT_ID,
    name: 'Alice Smith',
    preferredUsername: 'alice@contoso.dev',
    jobTitle: 'Software Engineer',
    officeLocation: 'Building 1 / 1001',
  },
  {
    username: 'bob',
    oid: '00000000-0000-0000-b0b0-5b2c9b2a1f4e',
    tenantId: CONTOSO_TENANT_ID,
    name: 'Bob Jones',
    preferredUsername: 'bob@contoso.dev',
    jobTitle: 'Product Manager',
    officeLocation: 'Building 2 / 2002',
  },
  {
    username: 'carol',
    oid: '00000000-0000-0000-ca70-1f2a3b4c5d6e',
    tenantId: FABRIKAM_TENANT_ID,
    name: 'Carol White',
    preferredUsername: 'carol@fabrikam.dev',
    jobTitle: 'Consultant',
    officeLocation: 'Fabrikam HQ / 301',
  },
]);

export function demoUsersOfTenant(tenantId: string): DemoUser[] {
  return DEMO_USERS.filter((user) => user.tenantId === tenantId);
}

export function demoUserByUsername(username: string): DemoUser | undefined {
  const wanted = username.trim().toLowerCase();
  return DEMO_USERS.find((user) => user.username === wanted || user.preferredUsername === wanted);
}

export function demoUserByOid(oid: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.oid === oid);
}
