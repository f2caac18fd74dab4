import { asFunction, asValue } from 'awilix';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import type { Cradle } from '../../src/app/container.ts';
import { StoreUnavailable } from '../../src/domain/errors.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';
import { userSnapshot } from '../support/user-snapshot.ts';

for (const tokenStore of ['memory', 'sqlite'] as const) {
  describe(`front-channel sign-out from the provider (${tokenStore} stores)`, () => {
    const alice = fakeUser('alice');
    const bob = fakeUser('bob');
    let entra: FakeEntra;
    let app: TestApp;

    beforeEach(async () => ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TOKEN_STORE: tokenStore, SQLITE_PATH: ':memory:' })));
    afterEach(() => stopTestApp(app));

    it("ends alice's sessions and removes her tokens by sid alone, without her cookie; bob is untouched", async () => {
      const aliceLaptop = app.browser();
      const aliceOtherTab = app.browser();
      const bobBrowser = app.browser();
      await signInWithBrowser(aliceLaptop, entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(aliceOtherTab, entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
      const { tokenStore: tokens } = app.container.cradle;
      const bobNow = () => userSnapshot(app.container.cradle, { accountId: `${bob.oid}.${entra.tenantId}`, sid: 'sid-bob', subject: `sub-${bob.oid}` });
      const bobBefore = await bobNow();

      const provider = app.browser(); // the provider's iframe: no cookie of ours
      const answer = await provider.get('/auth/signout/frontchannel?sid=sid-alice');

      expect(answer.status).to.equal(200);
      expect(answer.headers.get('cache-control')).to.equal('no-cache, no-store');
      expect(answer.headers.get('content-security-policy')).to.contain(`frame-ancestors ${new URL(entra.authority).origin}`);
      expect(answer.headers.get('x-frame-options')).to.equal(null);
      expect(await tokens.read(`${alice.oid}.${entra.tenantId}`), "alice's tokens").to.equal(undefined);
      for (const browser of [aliceLaptop, aliceOtherTab]) {
        const page = await browser.get('/profile');
        expect(page.status).to.equal(302);
        expect(page.location).to.match(/^\/auth\/signin/);
      }
      expect(bobBefore.partition, 'bob has tokens').to.not.equal(undefined);
      expect(bobBefore.sessions, 'bob has a session').to.have.length(1);
      expect(await bobNow(), 'bob untouched').to.deep.equal(bobBefore);
      const bobPage = await bobBrowser.get('/profile');
      expect(bobPage.status).to.equal(200);
      expect(bobPage.text).to.contain(bob.username);
    });

    it('clears the session cookie a request carries once its session is ended (Front-Channel Logout 1.0 §2: "including any cookies")', async () => {
      const aliceBrowser = app.browser();
      await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
      expect(aliceBrowser.cookie('app.session'), 'signed in').to.be.a('string');

      const answer = await aliceBrowser.get('/auth/signout/frontchannel?sid=sid-alice');

      expect(answer.status).to.equal(200);
      const cleared = answer.headers.getSetCookie();
      for (const name of ['app.session', 'app.session.sig']) {
        const cookie = cleared.find((line) => line.startsWith(`${name}=`));
        expect(cookie, `${name} expired`).to.match(/expires=Thu, 01 Jan 1970 00:00:00 GMT/);
        expect(cookie).to.match(/path=\//);
      }
      expect(aliceBrowser.cookieNamesFor('/')).to.not.include('app.session');
    });

    it('clears the signature of a session cookie that does not verify with the flags of every other cookie', async () => {
      const aliceBrowser = app.browser();
      await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
      aliceBrowser.setCookie('app.session.sig', 'forged');

      const answer = await aliceBrowser.get('/auth/signout/frontchannel?sid=sid-nobody');

      expect(answer.status).to.equal(200);
      const cleared = answer.headers.getSetCookie().filter((line) => line.startsWith('app.session.sig='));
      expect(cleared).to.have.length(1);
      expect(cleared[0]).to.match(/samesite=lax/).and.match(/httponly/).and.match(/path=\//);
    });

    it("keeps the session cookie of a session that lives on when another sid is signed out", async () => {
      const aliceBrowser = app.browser();
      await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(app.browser(), entra, bob, { sid: 'sid-bob' });

      const answer = await aliceBrowser.get('/auth/signout/frontchannel?sid=sid-bob');

      expect(answer.status).to.equal(200);
      expect(answer.headers.getSetCookie().filter((line) => line.startsWith('app.session')), 'no cookie touched').to.deep.equal([]);
      const page = await aliceBrowser.get('/profile');
      expect(page.status, 'alice still signed in').to.equal(200);
      expect(page.text).to.contain(alice.username);
    });

    it('answers a repeated or unknown sid with the same quiet 200', async () => {
      await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
      const provider = app.browser();
      const first = await provider.get('/auth/signout/frontchannel?sid=sid-alice');
      const again = await provider.get('/auth/signout/frontchannel?sid=sid-alice');
      const unknown = await provider.get('/auth/signout/frontchannel?sid=never-seen');
      expect([first.status, again.status, unknown.status]).to.deep.equal([200, 200, 200]);
      expect(again.text).to.equal(unknown.text);
    });

    it('accepts the issuer when the provider sends iss, and refuses another issuer', async () => {
      await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
      await signInWithBrowser(app.browser(), entra, bob, { sid: 'sid-bob' });
      const provider = app.browser();
      const forged = await provider.get(`/auth/signout/frontchannel?sid=sid-bob&iss=${encodeURIComponent('https://evil.example/v2.0')}`);
      expect(forged.status).to.equal(400);
      expect(await app.container.cradle.tokenStore.read(`${bob.oid}.${entra.tenantId}`)).to.not.equal(undefined);
      const genuine = await provider.get(`/auth/signout/frontchannel?sid=sid-alice&iss=${encodeURIComponent(entra.issuer)}`);
      expect(genuine.status).to.equal(200);
      expect(await app.container.cradle.tokenStore.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
    });

    it('refuses a request without sid with 400', async () => {
      const answer = await app.browser().get('/auth/signout/frontchannel');
      expect(answer.status).to.equal(400);
    });
  });
}

describe('front-channel sign-out stays an unauthenticated GET, within bounds', () => {
  const alice = fakeUser('alice');
  const bob = fakeUser('bob');
  let entra: FakeEntra;
  let app: TestApp;

  afterEach(() => stopTestApp(app));

  it('answers 429 to an address that keeps sending unknown sids, but always honours a sid that ends a session', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TRUST_PROXY: 'true' }));
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    const provider = app.browser();
    const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
    for (let i = 0; i < 30; i++) {
      expect((await provider.get(`/auth/signout/frontchannel?sid=guess-${i}`, from('203.0.113.7'))).status).to.equal(200);
    }
    const limited = await provider.get('/auth/signout/frontchannel?sid=guess-30', from('203.0.113.7'));
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
    expect(limited.text).to.contain('Too many sign-out requests');

    const real = await provider.get('/auth/signout/frontchannel?sid=sid-alice', from('203.0.113.7'));
    expect(real.status, 'a real sign-out from the same (shared NAT) address').to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    expect((await provider.get('/auth/signout/frontchannel?sid=guess-x', from('198.51.100.1'))).status, 'another address').to.equal(200);
  });

  it('takes the address from the last X-Forwarded-For entry (the proxy\'s), so a forged first entry does not dodge the limit', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], { TRUST_PROXY: 'true' }));
    const provider = app.browser();
    const statuses = [];
    for (let i = 0; i < 31; i++) {
      const forged = { headers: { 'x-forwarded-for': `10.0.${i}.1, 203.0.113.8` } };
      statuses.push((await provider.get(`/auth/signout/frontchannel?sid=guess-${i}`, forged)).status);
    }
    expect(statuses.at(-1)).to.equal(429);
  });

  it('refuses a sid longer than any provider sends (400)', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice]));
    expect((await app.browser().get(`/auth/signout/frontchannel?sid=${'x'.repeat(256)}`)).status).to.equal(400);
    expect((await app.browser().get(`/auth/signout/frontchannel?sid=${'x'.repeat(255)}`)).status).to.equal(200);
  });

  it('during a store outage, journals no more unknown sids from one address than the limit, and counts those it journaled', async () => {
    const journal = new LocalSignOutJournal();
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, undefined, { signOutJournal: asValue(journal) }));
    app.container.cradle.sessionStore.findBySid = async () => {
      throw new StoreUnavailable('the store does not answer');
    };
    const stranger = app.browser();
    const statuses = [];
    for (let i = 0; i < 32; i++) statuses.push((await stranger.get(`/auth/signout/frontchannel?sid=junk-${i}`)).status);
    expect(statuses.slice(0, 30), 'journaled: nobody can tell them from real ones yet').to.deep.equal(Array(30).fill(200));
    expect(statuses.slice(30), 'over the budget: not journaled, answered as the outage').to.deep.equal([503, 503]);
    expect(journal.pending()).to.have.length(30);
  });

  it('keys an IPv6 client by its /64, and an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], { TRUST_PROXY: 'true' }));
    const provider = app.browser();
    const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
    const unknownFrom = async (address: string, i: number | string) => (await provider.get(`/auth/signout/frontchannel?sid=guess-${i}`, from(address))).status;
    for (let i = 0; i < 30; i++) expect(await unknownFrom(`2001:db8:1:2::${(i + 1).toString(16)}`, i)).to.equal(200);
    expect(await unknownFrom('2001:db8:1:2:ffff:ffff:ffff:ffff', 'x'), 'another address of the same /64').to.equal(429);
    expect(await unknownFrom('2001:0db8:0001:0002:0000:0000:0000:0abc', 'y'), 'written in full').to.equal(429);
    expect(await unknownFrom('2001:db8:1:3::1', 'z'), 'the next /64').to.equal(200);

    for (let i = 0; i < 30; i++) expect(await unknownFrom('::ffff:203.0.113.50', `m-${i}`)).to.equal(200);
    expect(await unknownFrom('203.0.113.50', 'm-x'), 'the same IPv4 client').to.equal(429);
    expect(await unknownFrom('203.0.113.51', 'm-y'), 'IPv4 stays per address').to.equal(200);
  });

  it('during a store outage, journals a sid of a session this instance served even from an address that spent its budget', async () => {
    const journal = new LocalSignOutJournal();
    ({ entra, app } = await startAppWithFakeEntra([alice], { TRUST_PROXY: 'true' }, undefined, { signOutJournal: asValue(journal) }));
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    app.container.cradle.sessionStore.findBySid = async () => {
      throw new StoreUnavailable('the store does not answer');
    };
    const provider = app.browser();
    const shared = { headers: { 'x-forwarded-for': '203.0.113.9' } }; // a NAT alice shares with a stranger
    for (let i = 0; i < 30; i++) expect((await provider.get(`/auth/signout/frontchannel?sid=junk-${i}`, shared)).status).to.equal(200);
    expect((await provider.get('/auth/signout/frontchannel?sid=junk-30', shared)).status, 'the address spent its budget').to.equal(503);

    const answer = await provider.get('/auth/signout/frontchannel?sid=sid-alice', shared);

    expect(answer.status).to.equal(200);
    expect(journal.names({ sid: 'sid-alice' })).to.equal(true);
  });

  it('during a store outage, unknown sids from many addresses get at most the unverified rate and share: a back-channel sign-out and a known sid are still journaled, and applied', async () => {
    // The journal as the Redis set-up wires it (store-registrations.ts), in memory.
    ({ entra, app } = await startAppWithFakeEntra([alice, bob], { TRUST_PROXY: 'true' }, undefined, {
      signOutJournal: asFunction(({ recentSids }: Cradle) => new LocalSignOutJournal({ knownSid: (sid) => recentSids.has(sid) })).singleton(),
    }));
    const aliceBrowser = app.browser();
    const bobBrowser = app.browser();
    await signInWithBrowser(aliceBrowser, entra, alice, { sid: 'sid-alice' });
    await signInWithBrowser(bobBrowser, entra, bob, { sid: 'sid-bob' });
    const { sessionStore, replayGuard, signOutJournal } = app.container.cradle;
    const journal = signOutJournal!;
    const findBySid = sessionStore.findBySid.bind(sessionStore);
    const isClaimed = replayGuard.isClaimed.bind(replayGuard);
    sessionStore.findBySid = async () => {
      throw new StoreUnavailable('the store does not answer');
    };
    replayGuard.isClaimed = async () => {
      throw new StoreUnavailable('the store does not answer');
    };

    // The auditor's flood: 35 addresses, 30 random sids each, within a minute.
    const provider = app.browser();
    const statuses = new Map<number, number>();
    for (let address = 0; address < 35; address++) {
      for (let i = 0; i < 30; i++) {
        const { status } = await provider.get(`/auth/signout/frontchannel?sid=${randomUUID()}`, { headers: { 'x-forwarded-for': `203.0.113.${address}` } });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(statuses), '100 a minute at most, across all addresses').to.deep.equal({ 200: 100, 503: 950 });
    const outcomes = app.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.event === 'sign-out').map((line) => line.outcome);
    expect(outcomes.filter((outcome) => outcome === 'failed'), 'each refused one a failed sign-out, as before').to.have.length(950);

    const aliceSignOut = await provider.get('/auth/signout/frontchannel?sid=sid-alice', { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(aliceSignOut.status, 'a sid of a session this instance served').to.equal(200);
    const token = await entra.logoutToken({ sid: 'sid-bob' });
    const bobSignOut = await provider.post('/auth/signout/backchannel', { logout_token: token }, { headers: { origin: '', accept: '*/*' } });
    expect(bobSignOut.status, 'a verified back-channel sign-out').to.equal(200);
    expect(journal.pending()).to.have.length(102);

    sessionStore.findBySid = findBySid;
    replayGuard.isClaimed = isClaimed;
    // An attempt of the replay timer may still be failing: the next one finds the store back.
    for (let attempt = 0; attempt < 3 && journal.pending().length > 0; attempt++) await app.container.cradle.signOutJournalReplayer.replay();
    expect(journal.pending()).to.deep.equal([]);
    expect(await sessionStore.findBySid('sid-alice')).to.deep.equal([]);
    expect(await sessionStore.findBySid('sid-bob')).to.deep.equal([]);
    expect((await aliceBrowser.get('/profile')).status).to.equal(302);
    expect((await bobBrowser.get('/profile')).status).to.equal(302);
  });

  it('refuses a repeated iss instead of treating it as absent', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice]));
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    const iss = encodeURIComponent(entra.issuer);
    const answer = await app.browser().get(`/auth/signout/frontchannel?sid=sid-alice&iss=${iss}&iss=${encodeURIComponent('https://evil.example')}`);
    expect(answer.status).to.equal(400);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
  });

  it('refuses an empty iss instead of treating it as absent: a sent iss is always checked', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice]));
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    const answer = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice&iss=');
    expect(answer.status).to.equal(400);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
  });

  it('requires iss when the provider is configured as one that sends it (FRONT_CHANNEL_REQUIRE_ISS=true)', async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], { FRONT_CHANNEL_REQUIRE_ISS: 'true' }));
    await signInWithBrowser(app.browser(), entra, alice, { sid: 'sid-alice' });
    const without = await app.browser().get('/auth/signout/frontchannel?sid=sid-alice');
    expect(without.status).to.equal(400);
    expect(without.text).to.contain('no iss');
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.have.length(1);
    const withIss = await app.browser().get(`/auth/signout/frontchannel?sid=sid-alice&iss=${encodeURIComponent(entra.issuer)}`);
    expect(withIss.status).to.equal(200);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice')).to.deep.equal([]);
  });
});
