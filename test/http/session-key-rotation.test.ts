import { randomBytes, randomUUID } from 'node:crypto';
import { asValue } from 'awilix';
import { expect } from 'chai';
import { deleteRedisKeys } from '../support/redis-server.ts';
import nock from 'nock';
import { CookieSigningKeys } from '../../src/app/cookie-signing-keys.ts';
import { FakeEntra, fakeUser } from '../support/fake-entra.ts';
import { blockNetwork } from '../support/msal-harness.ts';
import { fakeGraph, signInWithBrowser, startTestApp, type TestApp } from '../support/app-harness.ts';
import { csrfFrom } from '../support/scripted-browser.ts';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/**
 * SESSION_KEYS rotated (a new key put first, the old one kept second) on instances sharing Redis:
 * a session cookie signed under the old key must go on working, and no answer may set its
 * signature cookie without the options the session cookie has (Max-Age, SameSite, HttpOnly).
 */
describe('a rotation of SESSION_KEYS', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let keyPrefix: string;
  let older: TestApp;
  let rotated: TestApp;

  beforeEach(async () => {
    blockNetwork();
    entra = new FakeEntra().install();
    fakeGraph([alice]);
    keyPrefix = `test:${randomUUID()}:`;
    const shared = { TOKEN_STORE: 'redis', REDIS_KEY_PREFIX: keyPrefix, TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY };
    older = await startTestApp(entra, { ...shared, SESSION_KEYS: 'old-session-key-0123456789' });
    // Its clock runs 6 minutes ahead: its first request of a session writes the session's activity.
    rotated = await startTestApp(entra, { ...shared, SESSION_KEYS: 'new-session-key-0123456789,old-session-key-0123456789' }, { now: asValue(() => Date.now() + 6 * 60_000) });
  });
  afterEach(async () => {
    await Promise.all([older.close(), rotated.close()]);
    await deleteRedisKeys(keyPrefix);
    nock.cleanAll();
  });

  it('keeps a session signed under the old key, and never sets its signature cookie without its options', async () => {
    const onOlder = older.browser();
    await signInWithBrowser(onOlder, entra, alice);
    const onRotated = rotated.browser();
    onRotated.copyCookiesFrom(onOlder);

    const page = await onRotated.get('/profile');

    expect(page.status).to.equal(200);
    expect(page.text).to.contain(alice.username);
    const signatures = page.headers.getSetCookie().filter((line) => line.startsWith('app.session.sig='));
    expect(signatures, 'the session saved (its activity), its cookies set again').to.have.length(1);
    expect(signatures[0]!.toLowerCase()).to.contain('expires=').and.contain('samesite=lax').and.contain('httponly');
    const signature = /^app\.session\.sig=([^;]+)/.exec(signatures[0]!)![1]!;
    expect(new CookieSigningKeys(['new-session-key-0123456789']).verify(`app.session=${onRotated.cookie('app.session')}`, signature), 'signed with the new key').to.equal(true);
    expect((await onRotated.get('/profile')).status, 'still signed in on the next request').to.equal(200);
    expect((await onOlder.get('/profile')).status, 'and on an instance not yet rotated').to.equal(200);
  });

  it("takes a sessions page's handles across the rotation, written by an instance on either side of it", async () => {
    // The rolling rotation's middle step: an instance given the new key second, not yet first.
    const stepOne = await startTestApp(entra, {
      TOKEN_STORE: 'redis',
      REDIS_KEY_PREFIX: keyPrefix,
      TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY,
      SESSION_KEYS: 'old-session-key-0123456789,new-session-key-0123456789',
    });
    try {
      for (const [pageFrom, postTo, user] of [[older, rotated, alice], [rotated, stepOne, fakeUser('bob')]] as const) {
        const laptop = pageFrom.browser();
        const phone = pageFrom.browser();
        await signInWithBrowser(laptop, entra, user, { sid: `sid-laptop-${randomUUID()}` });
        await signInWithBrowser(phone, entra, user, { sid: `sid-phone-${randomUUID()}` });
        const page = await laptop.get('/sessions');
        const handles = [...page.text.matchAll(/name="session" value="([^"]+)"/g)].map(([, handle]) => handle!);
        expect(handles, 'a form for the phone').to.have.length(1);
        const onOtherInstance = postTo.browser();
        onOtherInstance.copyCookiesFrom(laptop);

        const ended = await onOtherInstance.post('/sessions/end', { _csrf: csrfFrom(page), session: handles[0]! });

        expect(ended.status, pageFrom === older ? 'an old-key page posted to a rotated instance' : 'a new-key page posted to an instance given the new key second').to.equal(303);
        expect((await phone.get('/profile')).status, 'the phone is signed out').to.equal(302);
      }
    } finally {
      await stepOne.close();
    }
  });
});
