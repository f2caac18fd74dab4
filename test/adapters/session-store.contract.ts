import { expect } from 'chai';
import { ContractClock } from './contract-clock.ts';
import type { IndexedSession, SessionStore } from '../../src/ports/session-store.port.ts';

const TTL_MS = 60_000;

const byId = (sessions: IndexedSession[]) => [...sessions].sort((a, b) => a.id.localeCompare(b.id));

/**
 * The SessionStore contract (src/ports/session-store.port.ts), run once per adapter.
 * `makeStore` must wire `clock.now` into the store; the suite moves the clock to test expiry
 * without sleeping.
 */
export function describeSessionStoreContract(
  name: string,
  makeStore: (clock: { now: () => number }) => SessionStore | Promise<SessionStore>,
  cleanup?: () => void | Promise<void>,
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let clock: ContractClock;
    let store: SessionStore;
    const advance = (ms: number) => clock.advance(ms);

    beforeEach(async () => {
      clock = new ContractClock();
      store = await makeStore(clock);
    });

    afterEach(async () => {
      await cleanup?.();
    });

    it('gets a missing session as undefined', async () => {
      expect(await store.get('missing')).to.equal(undefined);
    });

    it('gets back nested JSON data as it was set', async () => {
      const data = { user: { name: 'Alice', roles: ['reader', 'writer'] }, visits: 3, ok: true, none: null };
      await store.set('s1', data, {}, TTL_MS);

      expect(await store.get('s1')).to.deep.equal(data);
    });

    it('keeps stored data apart from the objects passed to set and returned by get', async () => {
      const data = { user: { name: 'Alice' } };
      await store.set('s1', data, {}, TTL_MS);
      data.user.name = 'changed after set';
      const got = (await store.get('s1')) as { user: { name: string } };
      got.user.name = 'changed after get';

      expect(await store.get('s1')).to.deep.equal({ user: { name: 'Alice' } });
    });

    describe('with sessions on two sids and one anonymous session', () => {
      beforeEach(async () => {
        await store.set('s1', { n: 1 }, { sid: 'sid-A', subject: 'sub-1', accountId: 'acct-1' }, TTL_MS);
        await store.set('s2', { n: 2 }, { sid: 'sid-A', subject: 'sub-2', accountId: 'acct-2' }, TTL_MS);
        await store.set('s3', { n: 3 }, { sid: 'sid-B', subject: 'sub-1', accountId: 'acct-1' }, TTL_MS);
        await store.set('s4', { n: 4 }, {}, TTL_MS);
      });

      it('finds exactly the sessions bound to a sid, with their account', async () => {
        expect(byId(await store.findBySid('sid-A'))).to.deep.equal([
          { id: 's1', subject: 'sub-1', accountId: 'acct-1' },
          { id: 's2', subject: 'sub-2', accountId: 'acct-2' },
        ]);
        expect(await store.findBySid('sid-B')).to.deep.equal([{ id: 's3', subject: 'sub-1', accountId: 'acct-1' }]);
      });

      it('finds exactly the sessions of a subject, with their account', async () => {
        expect(byId(await store.findBySubject('sub-1'))).to.deep.equal([
          { id: 's1', subject: 'sub-1', accountId: 'acct-1' },
          { id: 's3', subject: 'sub-1', accountId: 'acct-1' },
        ]);
        expect(await store.findBySubject('sub-2')).to.deep.equal([{ id: 's2', subject: 'sub-2', accountId: 'acct-2' }]);
      });

      it('finds exactly the sessions of an account, with their subject', async () => {
        expect(byId(await store.findByAccount('acct-1'))).to.deep.equal([
          { id: 's1', subject: 'sub-1', accountId: 'acct-1' },
          { id: 's3', subject: 'sub-1', accountId: 'acct-1' },
        ]);
        expect(await store.findByAccount('acct-2')).to.deep.equal([{ id: 's2', subject: 'sub-2', accountId: 'acct-2' }]);
        expect(await store.findByAccount('acct-unknown')).to.deep.equal([]);
      });

      it('moves a session between accounts when it is set again with another account', async () => {
        await store.set('s1', { n: 1 }, { sid: 'sid-A', subject: 'sub-1', accountId: 'acct-2' }, TTL_MS);

        expect(await store.findByAccount('acct-1')).to.deep.equal([{ id: 's3', subject: 'sub-1', accountId: 'acct-1' }]);
        expect(byId(await store.findByAccount('acct-2')).map((s) => s.id)).to.deep.equal(['s1', 's2']);
      });

      it('moves a session between indexes when it is set again with another sid and subject', async () => {
        await store.set('s1', { n: 1 }, { sid: 'sid-B', subject: 'sub-2', accountId: 'acct-1' }, TTL_MS);

        expect(await store.findBySid('sid-A')).to.deep.equal([{ id: 's2', subject: 'sub-2', accountId: 'acct-2' }]);
        expect(byId(await store.findBySid('sid-B')).map((s) => s.id)).to.deep.equal(['s1', 's3']);
        expect(await store.findBySubject('sub-1')).to.deep.equal([{ id: 's3', subject: 'sub-1', accountId: 'acct-1' }]);
        expect(byId(await store.findBySubject('sub-2')).map((s) => s.id)).to.deep.equal(['s1', 's2']);
      });

      it('removes a destroyed session from get and from every index', async () => {
        await store.destroy('s1');

        expect(await store.get('s1')).to.equal(undefined);
        expect(await store.findBySid('sid-A')).to.deep.equal([{ id: 's2', subject: 'sub-2', accountId: 'acct-2' }]);
        expect(await store.findBySubject('sub-1')).to.deep.equal([{ id: 's3', subject: 'sub-1', accountId: 'acct-1' }]);
        expect(await store.findByAccount('acct-1')).to.deep.equal([{ id: 's3', subject: 'sub-1', accountId: 'acct-1' }]);
      });
    });

    it('updates an existing session, and refuses to re-create one that was destroyed or expired', async () => {
      await store.set('s-upd', { n: 1 }, { sid: 'sid-upd' }, TTL_MS);
      expect(await store.update('s-upd', { n: 2 }, { sid: 'sid-upd-2' }, TTL_MS)).to.equal(true);
      expect(await store.get('s-upd')).to.deep.equal({ n: 2 });
      expect(await store.findBySid('sid-upd-2')).to.have.length(1);
      await store.destroy('s-upd');
      expect(await store.update('s-upd', { n: 3 }, { sid: 'sid-upd-2' }, TTL_MS)).to.equal(false);
      expect(await store.get('s-upd')).to.equal(undefined);
      expect(await store.findBySid('sid-upd-2')).to.deep.equal([]);
      await store.set('s-old', { n: 1 }, {}, TTL_MS);
      advance(TTL_MS);
      expect(await store.update('s-old', { n: 2 }, {}, TTL_MS)).to.equal(false);
      expect(await store.get('s-old')).to.equal(undefined);
    });

    it('destroys idempotently, telling only the first call that it ended the session', async () => {
      expect(await store.destroy('missing')).to.equal(false);
      await store.set('s1', { n: 1 }, { sid: 'sid-A' }, TTL_MS);
      expect(await store.destroy('s1')).to.equal(true);
      expect(await store.destroy('s1')).to.equal(false);

      expect(await store.get('s1')).to.equal(undefined);
      expect(await store.findBySid('sid-A')).to.deep.equal([]);
    });

    it('tells a destroy of an expired session that it ended nothing', async () => {
      await store.set('s1', { n: 1 }, { sid: 'sid-A' }, TTL_MS);
      advance(TTL_MS);

      expect(await store.destroy('s1')).to.equal(false);
    });

    it('never returns an expired session from get, findBySid, findBySubject or findByAccount', async () => {
      await store.set('s1', { n: 1 }, { sid: 'sid-A', subject: 'sub-1', accountId: 'acct-1' }, TTL_MS);

      advance(TTL_MS - 1);
      expect(await store.get('s1')).to.deep.equal({ n: 1 });

      advance(1);
      expect(await store.get('s1')).to.equal(undefined);
      expect(await store.findBySid('sid-A')).to.deep.equal([]);
      expect(await store.findBySubject('sub-1')).to.deep.equal([]);
      expect(await store.findByAccount('acct-1')).to.deep.equal([]);
    });

    it('restarts the expiry when a session is set again', async () => {
      await store.set('s1', { n: 1 }, { sid: 'sid-A' }, TTL_MS);
      advance(TTL_MS - 1000);
      await store.set('s1', { n: 2 }, { sid: 'sid-A' }, TTL_MS);
      advance(TTL_MS - 1000);

      expect(await store.get('s1')).to.deep.equal({ n: 2 });
      expect(await store.findBySid('sid-A')).to.deep.equal([{ id: 's1' }]);
    });

    it('finds nothing for an unknown sid, subject or account', async () => {
      await store.set('s1', { n: 1 }, { sid: 'sid-A', subject: 'sub-1', accountId: 'acct-1' }, TTL_MS);

      expect(await store.findBySid('unknown')).to.deep.equal([]);
      expect(await store.findBySubject('unknown')).to.deep.equal([]);
      expect(await store.findByAccount('unknown')).to.deep.equal([]);
    });

    it('finds each session with its sign-in time, kept when the session is saved again', async () => {
      const signedInAt = clock.now() - 3_600_000;
      await store.set('s1', { n: 1 }, { sid: 'sid-A', subject: 'sub-1', accountId: 'acct-1', signedInAt }, TTL_MS);
      await store.update('s1', { n: 2 }, { sid: 'sid-A', subject: 'sub-1', accountId: 'acct-1', signedInAt }, TTL_MS);
      const expected = [{ id: 's1', subject: 'sub-1', accountId: 'acct-1', signedInAt }];

      expect(await store.findBySid('sid-A')).to.deep.equal(expected);
      expect(await store.findBySubject('sub-1')).to.deep.equal(expected);
      expect(await store.findByAccount('acct-1')).to.deep.equal(expected);
    });

    it('leaves out the index fields a session was saved without', async () => {
      await store.set('s1', { n: 1 }, { sid: 'sid-A' }, TTL_MS);
      await store.set('s2', { n: 2 }, { sid: 'sid-A', subject: 'sub-2' }, TTL_MS);

      expect(byId(await store.findBySid('sid-A'))).to.deep.equal([{ id: 's1' }, { id: 's2', subject: 'sub-2' }]);
    });
  });
}
