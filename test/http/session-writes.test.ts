import { expect } from 'chai';
import { asFunction, asValue } from 'awilix';
import type { Cradle } from '../../src/app/container.ts';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import type { SessionIndex, SessionStore } from '../../src/ports/session-store.port.ts';
import { fakeUser, type FakeEntra } from '../support/fake-entra.ts';
import { signInWithBrowser, startAppWithFakeEntra, stopTestApp, type TestApp } from '../support/app-harness.ts';

/**
 * A session store in which a sign-out handled elsewhere (another instance, the provider's
 * front-channel call) lands between the first write of a new session and any later one.
 */
class SignOutBetweenWrites implements SessionStore {
  readonly written = new Set<string>();
  signOutElsewhere: (sid: string) => Promise<void> = async () => {};
  readonly #inner: SessionStore;

  constructor(inner: SessionStore) {
    this.#inner = inner;
  }

  get(id: string) {
    return this.#inner.get(id);
  }
  async set(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number) {
    await this.#beforeWrite(id, index);
    return this.#inner.set(id, data, index, ttlMs);
  }
  async update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number) {
    await this.#beforeWrite(id, index);
    return this.#inner.update(id, data, index, ttlMs);
  }
  destroy(id: string) {
    return this.#inner.destroy(id);
  }
  findBySid(sid: string) {
    return this.#inner.findBySid(sid);
  }
  findBySubject(subject: string) {
    return this.#inner.findBySubject(subject);
  }
  findByAccount(accountId: string) {
    return this.#inner.findByAccount(accountId);
  }

  async #beforeWrite(id: string, index: SessionIndex) {
    if (this.written.has(id) && index.sid) await this.signOutElsewhere(index.sid);
    this.written.add(id);
  }
}

describe('session writes never undo a sign-out', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let store: SignOutBetweenWrites;

  beforeEach(async () => {
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, undefined, {
      sessionStore: asFunction(({ now }: Cradle) => (store = new SignOutBetweenWrites(new MemorySessionStore({ now })))).singleton(),
    }));
    store.signOutElsewhere = async (sid) => {
      await app.container.cradle.signOutEverywhere.fromFrontChannel({ sid });
    };
  });
  afterEach(() => stopTestApp(app));

  it('keeps a session gone that a sign-out ended between the two writes of sign-in', async () => {
    const browser = app.browser();
    const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    expect(callback.status, callback.text).to.equal(302);
    expect(store.written.size, 'the new session was written').to.be.greaterThan(0);

    expect(await app.container.cradle.sessionStore.findBySid('sid-alice'), 'no session of sid-alice').to.deep.equal([]);
    const profile = await browser.get('/profile');
    expect(profile.status, 'signed out').to.equal(302);
    expect(profile.location).to.match(/^\/auth\/signin/);
  });
});

/** A session store whose next `update` waits until `release` is called (a slow write, a slow page). */
class HeldUpdate extends MemorySessionStore {
  #held: { entered: () => void; released: Promise<void> } | undefined;
  #release: () => void = () => {};

  /** Holds the next update; resolves once one has started waiting. */
  holdNextUpdate(): Promise<void> {
    return new Promise((entered) => {
      this.#held = { entered, released: new Promise((resolve) => (this.#release = resolve)) };
    });
  }

  release(): void {
    this.#release();
  }

  override async update(id: string, data: Record<string, unknown>, index: SessionIndex, ttlMs: number) {
    const held = this.#held;
    this.#held = undefined;
    if (held) {
      held.entered();
      await held.released;
    }
    return super.update(id, data, index, ttlMs);
  }
}

describe("a write refused for a session that ended meanwhile", () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let store: HeldUpdate;
  let time: number;

  beforeEach(async () => {
    time = Date.now();
    ({ entra, app } = await startAppWithFakeEntra([alice], {}, undefined, {
      now: asValue(() => time),
      sessionStore: asFunction(() => (store = new HeldUpdate({ now: () => time }))).singleton(),
    }));
  });
  afterEach(() => stopTestApp(app));

  it("does not set the ended session's cookie over the one a new sign-in in the same browser set", async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-first' });
    time += 6 * 60_000; // the next request writes the session's activity
    const held = store.holdNextUpdate();
    const slowPage = browser.get('/'); // loads the first session, then waits in its write
    await held;
    // Meanwhile the browser signs in again (another tab: "sign in with another account", a claims challenge).
    const callback = await signInWithBrowser(browser, entra, alice, { sid: 'sid-second' });
    expect(callback.status, callback.text).to.equal(302);
    store.release();
    const slow = await slowPage;
    expect(slow.status).to.equal(200);
    expect(slow.headers.getSetCookie().filter((line) => line.startsWith('app.session')), 'no session cookie on the slow answer').to.deep.equal([]);

    const profile = await browser.get('/profile');
    expect(profile.status, 'still signed in, in the new session').to.equal(200);
    expect((await app.container.cradle.sessionStore.findBySid('sid-second')).length).to.equal(1);
  });
});

describe('a session whose absolute lifetime runs out while a request uses it', () => {
  const alice = fakeUser('alice');
  let entra: FakeEntra;
  let app: TestApp;
  let time: number;
  let endLifetimeOnNextLoad = false;

  /** The sessions page's look-up takes the clock past the session's absolute end when asked, after the session was loaded. */
  class LifetimeEndsDuringRequest extends MemorySessionStore {
    override async findBySubject(subject: string) {
      if (endLifetimeOnNextLoad) {
        endLifetimeOnNextLoad = false;
        time += 10 * 60_000;
      }
      return super.findBySubject(subject);
    }
  }

  beforeEach(async () => {
    time = Date.now();
    ({ entra, app } = await startAppWithFakeEntra([alice], { SESSION_ABSOLUTE_TTL_SECONDS: '600' }, undefined, {
      now: asValue(() => time),
      sessionStore: asFunction(() => new LifetimeEndsDuringRequest({ now: () => time })).singleton(),
    }));
  });
  afterEach(() => stopTestApp(app));

  it("ends it without setting its cookie again (which could replace a newer session's)", async () => {
    const browser = app.browser();
    await signInWithBrowser(browser, entra, alice, { sid: 'sid-alice' });
    time += 6 * 60_000; // the next request writes the session's activity
    endLifetimeOnNextLoad = true;

    const page = await browser.get('/sessions');

    expect(page.status).to.equal(200);
    expect(page.headers.getSetCookie().filter((line) => line.startsWith('app.session')), 'no session cookie').to.deep.equal([]);
    expect(await app.container.cradle.sessionStore.findBySid('sid-alice'), 'ended').to.deep.equal([]);
  });
});
