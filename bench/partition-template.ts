import nock from 'nock';
import { oidOf } from './bench-users.ts';
import { MemoryTokenStore } from '../src/adapters/memory/memory-token-store.ts';
import type { SignedInAccount } from '../src/domain/account.ts';
import { FakeEntra, fakeUser } from '../test/support/fake-entra.ts';
import { msalIdentityProvider, signInThroughMsal } from '../test/support/msal-harness.ts';

export const TEMPLATE_OID = '7e3f0c1a-0000-4000-8000-00000000a11c';

export interface PartitionTemplate {
  readonly tenantId: string;
  readonly clientId: string;
  readonly authority: string;
  readonly discovery: Record<string, unknown>;
  /** Serialized MSAL cache of TEMPLATE_OID: one id token, one refresh token, three access tokens (sign-in and two APIs). */
  readonly cache: string;
  readonly apiScopes: readonly string[];
}

/**
 * A real MSAL cache, written by MSAL itself against nock-faked Entra endpoints, with the secrets
 * then padded to sizes seen in production (1.5 KB JWT access tokens, 1 KB id and refresh tokens):
 * about 10.8 KB per user, a little more than the ~8.5 KB measured earlier with unpadded secrets. Access tokens are valid for a day.
 */
export async function makePartitionTemplate(): Promise<PartitionTemplate> {
  nock.disableNetConnect();
  const entra = new FakeEntra().install();
  entra.accessTokenLifetimeSeconds = 24 * 3600;
  try {
    const store = new MemoryTokenStore();
    const idp = msalIdentityProvider(entra, store);
    const apiScopes = ['api://demo-api/Profile.Read'];
    const { accountId } = await signInThroughMsal(idp, entra, fakeUser('template', TEMPLATE_OID));
    await idp.acquireTokenSilently({ accountId, scopes: apiScopes });
    await idp.acquireTokenSilently({ accountId, scopes: ['api://other-api/Things.Read'] });
    const cache = JSON.parse((await store.read(accountId))!.data) as Record<string, Record<string, { secret?: string }>>;
    const pad = (secret: string, length: number) => `${secret}.${'x'.repeat(Math.max(0, length - secret.length - 1))}`;
    for (const token of Object.values(cache.AccessToken ?? {})) token.secret = pad(token.secret!, 1500);
    for (const token of Object.values(cache.RefreshToken ?? {})) token.secret = pad(token.secret!, 1000);
    // An id token must stay a three-part JWT (MSAL decodes it): lengthen its signature part.
    for (const token of Object.values(cache.IdToken ?? {})) token.secret = token.secret!.padEnd(1000, 'A');
    return {
      tenantId: entra.tenantId,
      clientId: entra.clientId,
      authority: entra.authority,
      discovery: entra.discovery(),
      cache: JSON.stringify(cache),
      apiScopes,
    };
  } finally {
    nock.cleanAll();
    nock.restore(); // give fetch back: the benchmark's own HTTP must not go through nock
  }
}

/** The template's cache for another user: every trace of the template oid replaced by theirs. */
export function partitionFor(template: PartitionTemplate, oid: string): string {
  const clientInfo = (id: string) => Buffer.from(JSON.stringify({ uid: id, utid: template.tenantId })).toString('base64url');
  return template.cache.replaceAll(TEMPLATE_OID, oid).replaceAll(clientInfo(TEMPLATE_OID), clientInfo(oid));
}

/** The signed-in account of user `user` (whose partition `partitionFor` makes), in provider session `session`. */
export function benchAccount(template: PartitionTemplate, user: number, session = user): SignedInAccount {
  return {
    accountId: `${oidOf(user)}.${template.tenantId}`,
    subject: `sub-${oidOf(user)}`,
    sid: `sid-${session}`,
    username: `${oidOf(user)}@bench.example`,
    name: `User ${user}`,
  };
}
