import { expect } from 'chai';
import { ExpiringKeys } from '../../src/app/expiring-keys.ts';

describe('ExpiringKeys: keys remembered until a time of their own, bounded', () => {
  let time: number;
  let keys: ExpiringKeys;
  beforeEach(() => {
    time = 1_000;
    keys = new ExpiringKeys(() => time, 3);
  });

  it('remembers a key until its time, refuses to add it again meanwhile, and takes it again after', () => {
    expect(keys.add('a', 2_000)).to.equal(true);
    expect(keys.has('a')).to.equal(true);
    expect(keys.add('a', 5_000), 'already there').to.equal(false);
    time = 2_000;
    expect(keys.has('a'), 'expired at its time').to.equal(false);
    expect(keys.add('a', 3_000)).to.equal(true);
    expect(keys.has('b')).to.equal(false);
  });

  it('holds at most its bound, forgetting the oldest first', () => {
    for (const key of ['a', 'b', 'c', 'd']) keys.add(key, 10_000);
    expect(['a', 'b', 'c', 'd'].map((key) => keys.has(key))).to.deep.equal([false, true, true, true]);
  });

  it('drops expired keys when it adds one, whatever the bound', () => {
    keys.add('a', 1_500);
    keys.add('b', 10_000);
    time = 1_600;
    keys.add('c', 10_000);
    keys.add('d', 10_000);
    expect(['a', 'b', 'c', 'd'].map((key) => keys.has(key)), 'b kept: a made the room').to.deep.equal([false, true, true, true]);
  });
});
