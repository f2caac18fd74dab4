import { expect } from 'chai';
import { MemorySessionStore } from '../../src/adapters/memory/memory-session-store.ts';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { describeSessionStoreContract } from './session-store.contract.ts';
import { CONTRACT_TOKEN_TTL_SECONDS, describeTokenStoreContract } from './token-store.contract.ts';

describeTokenStoreContract(
  'memory',
  (clock) => new MemoryTokenStore({ tokenTtlSeconds: CONTRACT_TOKEN_TTL_SECONDS, now: clock.now }),
);
describeSessionStoreContract('memory', (clock) => new MemorySessionStore({ now: clock.now }));

describe('memory stores: eviction', () => {
  let time = 0;
  const now = () => time;

  beforeEach(() => {
    time = Date.UTC(2030, 0, 1);
  });

  it('sweeps expired token partitions so abandoned users do not stay in memory', async () => {
    const store = new MemoryTokenStore({ tokenTtlSeconds: 60, now });
    await store.write('gone-1', 'x');
    await store.write('gone-2', 'x');
    time += 60_000;
    await store.write('live', 'y');

    expect(await store.sweepExpired()).to.equal(2);
    expect(await store.sweepExpired()).to.equal(0);
    expect((await store.read('live'))?.data).to.equal('y');
  });

  it('drops an expired token partition when it is read', async () => {
    const store = new MemoryTokenStore({ tokenTtlSeconds: 60, now });
    await store.write('gone', 'x');
    time += 60_000;

    expect(await store.read('gone')).to.equal(undefined);
    expect(await store.sweepExpired()).to.equal(0);
  });

  it('sweeps expired sessions and their index entries', async () => {
    const store = new MemorySessionStore({ now });
    await store.set('gone-1', {}, { sid: 'sid-A', subject: 'sub-1' }, 1000);
    await store.set('gone-2', {}, { sid: 'sid-A' }, 1000);
    await store.set('live', {}, { sid: 'sid-A' }, 5000);
    time += 1000;

    expect(await store.sweepExpired()).to.equal(2);
    expect(await store.sweepExpired()).to.equal(0);
    expect(await store.findBySid('sid-A')).to.deep.equal([{ id: 'live' }]);
  });

  it('gives the event loop a turn while sweeping many expired entries', async () => {
    const tokens = new MemoryTokenStore({ tokenTtlSeconds: 60, now });
    const sessions = new MemorySessionStore({ now });
    for (let i = 0; i < 5000; i++) {
      await tokens.write(`gone-${i}`, 'x');
      await sessions.set(`gone-${i}`, {}, { sid: `sid-${i}` }, 60_000);
    }
    time += 60_000;

    for (const store of [tokens, sessions]) {
      const order: string[] = [];
      const sweep = store.sweepExpired().then((removed) => order.push(`swept ${removed}`));
      setImmediate(() => order.push('other callback'));
      await sweep;
      expect(order, store.constructor.name).to.deep.equal(['other callback', 'swept 5000']);
    }
  });

  it('drops expired sessions met while looking one up by sid', async () => {
    const store = new MemorySessionStore({ now });
    await store.set('gone', {}, { sid: 'sid-A' }, 1000);
    time += 1000;

    expect(await store.findBySid('sid-A')).to.deep.equal([]);
    expect(await store.sweepExpired()).to.equal(0);
  });
});
