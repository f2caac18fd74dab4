import { expect } from 'chai';
import { CONTOSO_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { devOperatorEnvironment } from '../../src/dev/dev-operator-environment.ts';
import { sessionCount, sessionSids, sessionsWithSid, tokenPartition } from './support/app-database.ts';
import { browse, expectRedirectToSignIn, signInToProfile, signOutFromApp } from './support/journeys.ts';
import { accountIdOf, startTestStack, type TestStack } from './support/test-stack.ts';
import { waitUntil } from '../support/wait-until.ts';

/**
 * The apps against the dev provider's multi-tenant `common` authority (issuer
 * `https://localhost:<port>/{tenantid}/v2.0`), allowing Contoso only: alice (Contoso) signs in with
 * her tenant's issuer; carol (Fabrikam) is refused and nothing of hers is stored. The provider tells
 * app A of a sign-out by back-channel logout token (which has no `tid`), app B by front-channel.
 */
describe('dev stack end to end: a multi-tenant authority with ALLOWED_TENANTS', function () {
  this.timeout(60_000);
  let world: TestStack;

  before(async () => (world = await startTestStack({ appAuthority: 'common', appEnv: { ALLOWED_TENANTS: CONTOSO_TENANT_ID }, logoutChannels: ['back-channel', 'front-channel'] })));
  after(() => world?.close());

  it('runs the apps against the common authority', () => {
    expect(world.stack.appAuthority).to.equal(world.stack.commonAuthority);
    expect(world.stack.appAuthority).to.match(/\/common\/v2\.0$/);
  });

  it('has `npm run signout`, given no DEV_APP_AUTHORITY or port, act at the common authority and the ports the stack ran with', () => {
    const env = devOperatorEnvironment({}, world.dataDir);
    expect(env).to.include({ AUTHORITY: world.stack.commonAuthority, PUBLIC_URL: world.appA.url, SQLITE_PATH: world.appA.sqlitePath, ALLOWED_TENANTS: CONTOSO_TENANT_ID });
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

  it("signs alice out of app A by the provider's back-channel logout token when she signs out at app B", async () => {
    const browser = world.browser();
    const alice = accountIdOf('alice');
    const sidsBefore = await sessionSids(world.appA.sqlitePath, alice); // her session of the test above, another browser
    await signInToProfile(browser, world.appA, 'alice');
    const [sid] = (await sessionSids(world.appA.sqlitePath, alice)).filter((candidate) => !sidsBefore.includes(candidate));
    const atB = await signInToProfile(browser, world.appB, 'alice');
    expect(sid, 'her provider session in app A').to.be.a('string');

    await signOutFromApp(browser, world.appB, atB.page); // the provider POSTs A's logout token as she confirms

    await waitUntil(async () => (await sessionsWithSid(world.appA.sqlitePath, sid!)) === 0, 10_000, "alice's session in app A is still stored");
    expect(await tokenPartition(world.appA.sqlitePath, alice), "alice's tokens in app A").to.equal(undefined);
    expectRedirectToSignIn(await browser.get(`${world.appA.url}/profile`), world.appA);
  });
});
