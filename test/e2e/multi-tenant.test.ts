import { expect } from 'chai';
import { CONTOSO_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { sessionCount, tokenPartition } from './support/app-database.ts';
import { browse, signInToProfile } from './support/journeys.ts';
import { accountIdOf, startTestStack, type TestStack } from './support/test-stack.ts';

/**
 * The apps against the dev provider's multi-tenant `common` authority (issuer
 * `https://localhost:<port>/{tenantid}/v2.0`), allowing Contoso only: alice (Contoso) signs in with
 * her tenant's issuer; carol (Fabrikam) is refused and nothing of hers is stored.
 */
describe('dev stack end to end: a multi-tenant authority with ALLOWED_TENANTS', function () {
  this.timeout(60_000);
  let world: TestStack;

  before(async () => (world = await startTestStack({ appAuthority: 'common', appEnv: { ALLOWED_TENANTS: CONTOSO_TENANT_ID } })));
  after(() => world?.close());

  it('runs the apps against the common authority', () => {
    expect(world.stack.appAuthority).to.equal(world.stack.commonAuthority);
    expect(world.stack.appAuthority).to.match(/\/common\/v2\.0$/);
  });

  it('signs in a user of an allowed tenant and keeps her tokens under <oid>.<tid>', async () => {
    const { page } = await signInToProfile(world.browser(), world.appA, 'alice');
    expect(page.text).to.contain('Alice Smith');
    expect(await tokenPartition(world.appA.sqlitePath, accountIdOf('alice'))).to.not.equal(undefined);
  });

  it('refuses a user of a tenant that is not allowed, with a clear page and nothing stored', async () => {
    const { page } = await browse(world.browser(), `${world.appA.url}/profile`, { username: 'carol' });
    expect(page.url).to.match(/\/auth\/redirect\?/);
    expect(page.status).to.equal(400);
    expect(page.text).to.contain('does not accept accounts of your organisation');
    expect(page.text).to.contain('Sign in with another account');
    expect(accountIdOf('carol')).to.not.contain(CONTOSO_TENANT_ID);
    expect(await tokenPartition(world.appA.sqlitePath, accountIdOf('carol'))).to.equal(undefined);
    expect(await sessionCount(world.appA.sqlitePath, accountIdOf('carol'))).to.equal(0);
  });
});
