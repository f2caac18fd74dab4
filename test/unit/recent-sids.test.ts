import { expect } from 'chai';
import { RecentSids } from '../../src/app/recent-sids.ts';

describe('RecentSids', () => {
  it('knows the sids noted, and forgets the one noted longest ago beyond its bound', () => {
    const sids = new RecentSids({ maxSids: 3 });
    for (const sid of ['a', 'b', 'c', 'a']) sids.note(sid);
    expect(['a', 'b', 'c'].map((sid) => sids.has(sid))).to.deep.equal([true, true, true]);
    sids.note('d');
    expect(['a', 'b', 'c', 'd'].map((sid) => sids.has(sid)), 'a was noted first').to.deep.equal([false, true, true, true]);
    expect(sids.size).to.equal(3);
    sids.note('a');
    expect(sids.has('a') && !sids.has('b'), 'a session loaded again is noted again').to.equal(true);
  });

  it('notes no sid a front-channel request could not name: none, empty, longer than 255 characters', () => {
    const sids = new RecentSids();
    for (const sid of [undefined, '', 'x'.repeat(256)]) sids.note(sid);
    expect(sids.size).to.equal(0);
    sids.note('x'.repeat(255));
    expect(sids.has('x'.repeat(255))).to.equal(true);
    expect(sids.has(undefined)).to.equal(false);
  });
});
