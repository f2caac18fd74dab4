import { expect } from 'chai';
import { ContractClock } from './contract-clock.ts';
import type { TokenStore } from '../../src/ports/token-store.port.ts';

/** The ttl every factory must give its store, so the suite knows when partitions expire. */
export const CONTRACT_TOKEN_TTL_SECONDS = 3600;
const TTL_MS = CONTRACT_TOKEN_TTL_SECONDS * 1000;

/**
 * The TokenStore contract (src/ports/token-store.port.ts), run once per adapter.
 * `makeStore` must wire `clock.now` into the store and use CONTRACT_TOKEN_TTL_SECONDS; the suite
 * moves the clock to test expiry without sleeping.
 */
export function describeTokenStoreContract(
  name: string,
  makeStore: (clock: { now: () => number }) => TokenStore | Promise<TokenStore>,
  cleanup?: () => void | Promise<void>,
): void {
  describe(`TokenStore contract: ${name}`, () => {
    let clock: ContractClock;
    let store: TokenStore;
    const advance = (ms: number) => clock.advance(ms);

    beforeEach(async () => {
      clock = new ContractClock();
      store = await makeStore(clock);
    });

    afterEach(async () => {
      await cleanup?.();
    });

    it('reads a missing partition as undefined', async () => {
      expect(await store.read('nobody')).to.equal(undefined);
    });

    it('reads back the written data with a version', async () => {
      expect(await store.write('alice', 'cache-1')).to.equal(true);

      const partition = await store.read('alice');
      expect(partition?.data).to.equal('cache-1');
      expect(partition?.version).to.be.a('string').that.is.not.empty;
    });

    it('tells the current version without the data, and nothing for a missing or expired partition', async () => {
      expect(await store.version('alice')).to.equal(undefined);
      await store.write('alice', 'cache-1');
      const first = await store.version('alice');
      expect(first).to.equal((await store.read('alice'))?.version);
      await store.write('alice', 'cache-2');
      const second = await store.version('alice');
      expect(second).to.not.equal(first);
      expect(second).to.equal((await store.read('alice'))?.version);
      advance(CONTRACT_TOKEN_TTL_SECONDS * 1000);
      expect(await store.version('alice')).to.equal(undefined);
      await store.write('bob', 'cache-1');
      await store.remove('bob');
      expect(await store.version('bob')).to.equal(undefined);
    });

    it('gives the partition a new version on every write, even with the same data', async () => {
      await store.write('alice', 'same');
      const first = await store.read('alice');
      await store.write('alice', 'same');
      const second = await store.read('alice');
      await store.write('alice', 'same', second?.version);
      const third = await store.read('alice');

      expect(new Set([first?.version, second?.version, third?.version]).size).to.equal(3);
    });

    it('writes when compare-and-set is given the current version', async () => {
      await store.write('alice', 'old');
      const before = await store.read('alice');

      expect(await store.write('alice', 'new', before?.version)).to.equal(true);

      const after = await store.read('alice');
      expect(after?.data).to.equal('new');
      expect(after?.version).to.not.equal(before?.version);
    });

    it('refuses compare-and-set with a stale version and keeps the newer data', async () => {
      await store.write('alice', 'first');
      const stale = await store.read('alice');
      await store.write('alice', 'second');

      expect(await store.write('alice', 'from-stale-reader', stale?.version)).to.equal(false);
      expect((await store.read('alice'))?.data).to.equal('second');
    });

    it('refuses compare-and-set after a remove, so a refresh in flight cannot resurrect tokens', async () => {
      await store.write('alice', 'tokens');
      const readBeforeSignOut = await store.read('alice');
      await store.remove('alice');

      expect(await store.write('alice', 'refreshed-tokens', readBeforeSignOut?.version)).to.equal(false);
      expect(await store.read('alice')).to.equal(undefined);
    });

    it('writes unconditionally after a remove (a fresh sign-in)', async () => {
      await store.write('alice', 'old-tokens');
      await store.remove('alice');

      expect(await store.write('alice', 'new-tokens')).to.equal(true);
      expect((await store.read('alice'))?.data).to.equal('new-tokens');
    });

    it('removes idempotently', async () => {
      expect(await store.remove('nobody')).to.equal(true);
      await store.write('alice', 'tokens');
      expect(await store.remove('alice')).to.equal(true);
      expect(await store.remove('alice')).to.equal(true);

      expect(await store.read('alice')).to.equal(undefined);
    });

    it('removes with an expected version only the partition as it was read: not one a refresh rewrote meanwhile', async () => {
      await store.write('alice', 'tokens');
      const readForSignOut = await store.read('alice');
      await store.write('alice', 'refreshed-tokens', readForSignOut?.version);

      expect(await store.remove('alice', readForSignOut?.version), 'rewritten meanwhile').to.equal(false);
      const reread = await store.read('alice');
      expect(reread?.data).to.equal('refreshed-tokens');
      expect(await store.remove('alice', reread?.version)).to.equal(true);
      expect(await store.read('alice')).to.equal(undefined);
      expect(await store.version('alice')).to.equal(undefined);
      expect(await store.remove('alice', reread?.version), 'already gone').to.equal(false);
    });

    it('removes with an expected version a partition that has expired, and nothing of another account', async () => {
      await store.write('alice', 'tokens');
      await store.write('alice2', 'tokens-2');
      const version = (await store.version('alice'))!;
      advance(CONTRACT_TOKEN_TTL_SECONDS * 1000 + 1);
      await store.write('alice2', 'tokens-2-again');

      expect(await store.remove('alice', version)).to.equal(true);
      expect(await store.write('alice', 'refreshed', version), 'gone for a refresh in flight').to.equal(false);
      expect((await store.read('alice2'))?.data).to.equal('tokens-2-again');
    });

    it('keeps partitions independent, including ids that are prefixes of each other', async () => {
      await store.write('alice', 'a');
      await store.write('alice2', 'a2');
      await store.write('alice.tenant', 'a.t');

      await store.remove('alice');

      expect(await store.read('alice')).to.equal(undefined);
      expect((await store.read('alice2'))?.data).to.equal('a2');
      expect((await store.read('alice.tenant'))?.data).to.equal('a.t');
    });

    it('expires a partition ttl after a sign-in wrote it, for reads and compare-and-set', async () => {
      await store.write('alice', 'tokens');
      const partition = await store.read('alice');

      advance(TTL_MS - 1);
      expect((await store.read('alice'))?.data).to.equal('tokens');

      advance(1);
      expect(await store.read('alice')).to.equal(undefined);
      expect(await store.write('alice', 'refreshed', partition?.version)).to.equal(false);
      expect(await store.read('alice')).to.equal(undefined);
    });

    it('restarts the expiry at ttl from now on every sign-in write, whatever kept it before', async () => {
      await store.write('alice', 'v1');
      advance(TTL_MS - 1000);
      await store.write('alice', 'v2');
      advance(TTL_MS - 1000);
      expect((await store.read('alice'))?.data).to.equal('v2');

      await store.keepUntil('alice', clock.now() + 3 * TTL_MS);
      await store.write('alice', 'v3');
      advance(TTL_MS - 1);
      expect((await store.read('alice'))?.data).to.equal('v3');
      advance(1);
      expect(await store.read('alice')).to.equal(undefined);
    });

    it('leaves the expiry where it was on a refresh (compare-and-set): only sessions keep tokens longer', async () => {
      await store.write('alice', 'v1');
      advance(TTL_MS - 1000);
      const partition = await store.read('alice');
      expect(await store.write('alice', 'refreshed', partition?.version)).to.equal(true);

      advance(999);
      expect((await store.read('alice'))?.data).to.equal('refreshed');
      advance(1);
      expect(await store.read('alice')).to.equal(undefined);
      expect(await store.version('alice')).to.equal(undefined);
    });

    it('keeps a partition until a later time, never an earlier one, with its version unchanged', async () => {
      await store.write('alice', 'tokens');
      const version = await store.version('alice');

      await store.keepUntil('alice', clock.now() + 3 * TTL_MS);
      await store.keepUntil('alice', clock.now() + 1000);
      advance(3 * TTL_MS - 1);
      expect(await store.version('alice')).to.equal(version);
      expect(await store.read('alice')).to.deep.equal({ data: 'tokens', version });
      expect(await store.write('alice', 'refreshed', version)).to.equal(true);

      advance(1);
      expect(await store.read('alice')).to.equal(undefined);
    });

    it('keeps nothing that is missing, removed or expired: keepUntil never brings tokens back', async () => {
      const later = () => clock.now() + 10 * TTL_MS;
      await store.keepUntil('nobody', later());

      await store.write('bob', 'tokens');
      const bobs = await store.read('bob');
      await store.remove('bob');
      await store.keepUntil('bob', later());

      await store.write('carol', 'tokens');
      advance(TTL_MS);
      await store.keepUntil('carol', later());

      for (const accountId of ['nobody', 'bob', 'carol']) {
        expect(await store.read(accountId), accountId).to.equal(undefined);
        expect(await store.version(accountId), accountId).to.equal(undefined);
      }
      expect(await store.write('bob', 'refreshed', bobs?.version)).to.equal(false);
    });

    describe('summaries', () => {
      it('reads a missing, removed or expired partition\'s summary as undefined', async () => {
        expect(await store.readSummary('nobody')).to.equal(undefined);
        await store.write('bob', 'tokens', undefined, 'bob-summary');
        await store.remove('bob');
        expect(await store.readSummary('bob')).to.equal(undefined);
        await store.write('carol', 'tokens', undefined, 'carol-summary');
        advance(TTL_MS);
        expect(await store.readSummary('carol')).to.equal(undefined);
      });

      it('reads back the summary written with the data, under the same version, without the data', async () => {
        await store.write('alice', 'cache-1', undefined, 'summary-1');
        const partition = await store.read('alice');

        expect(await store.readSummary('alice')).to.deep.equal({ summary: 'summary-1', version: partition?.version });
        expect(partition?.data).to.equal('cache-1');
      });

      it('replaces the summary on every write, and keeps none from a write that gave none', async () => {
        await store.write('alice', 'cache-1', undefined, 'summary-1');
        const first = await store.read('alice');
        expect(await store.write('alice', 'cache-2', first?.version, 'summary-2')).to.equal(true);
        expect((await store.readSummary('alice'))?.summary).to.equal('summary-2');

        await store.write('alice', 'cache-3');
        expect(await store.readSummary('alice')).to.deep.equal({ summary: undefined, version: (await store.read('alice'))?.version });

        await store.write('alice', 'cache-4', undefined, 'summary-4');
        const fourth = await store.read('alice');
        expect(await store.write('alice', 'cache-5', fourth?.version)).to.equal(true);
        expect((await store.readSummary('alice'))?.summary, 'a refresh without a summary').to.equal(undefined);
      });

      it('keeps the summary of the data kept when a compare-and-set is refused', async () => {
        await store.write('alice', 'cache-1', undefined, 'summary-1');
        const stale = await store.read('alice');
        await store.write('alice', 'cache-2', undefined, 'summary-2');

        expect(await store.write('alice', 'cache-from-stale', stale?.version, 'summary-from-stale')).to.equal(false);
        expect((await store.readSummary('alice'))?.summary).to.equal('summary-2');
      });

      it('keeps the summary and its version when the partition is kept longer', async () => {
        await store.write('alice', 'cache-1', undefined, 'summary-1');
        const version = await store.version('alice');
        await store.keepUntil('alice', clock.now() + 3 * TTL_MS);
        advance(2 * TTL_MS);

        expect(await store.readSummary('alice')).to.deep.equal({ summary: 'summary-1', version });
      });
    });

    it('lets exactly one of many concurrent compare-and-set writes with the same version win', async () => {
      await store.write('alice', 'initial');
      const partition = await store.read('alice');

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.write('alice', `writer-${i}`, partition?.version)),
      );

      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).to.have.lengthOf(1);
      expect((await store.read('alice'))?.data).to.equal(`writer-${winners[0]}`);
    });
  });
}
