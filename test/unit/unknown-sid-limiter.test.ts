import { expect } from 'chai';
import { UnknownSidLimiter } from '../../src/app/middleware/unknown-sid-limiter.ts';

describe('UnknownSidLimiter: who a client is', () => {
  /** Spends the 30 misses of a window from `addresses`, in turn. */
  function spend(limiter: UnknownSidLimiter, addresses: readonly string[]): void {
    for (let i = 0; i < 30; i++) expect(limiter.recordMiss(addresses[i % addresses.length]!).allowed).to.equal(true);
  }

  it('keys an IPv6 address by its /64, however it is written (compressed, in full, upper case, with a zone)', () => {
    const limiter = new UnknownSidLimiter({ now: () => 0 });
    spend(limiter, ['2001:db8:1:2::1', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:0DB8:0001:0002:0000:0000:0000:0003']);
    expect(limiter.exhausted('2001:db8:1:2::ffff')).to.equal(true);
    expect(limiter.exhausted('fe80::1%eth0'), 'another /64').to.equal(false);
    expect(limiter.recordMiss('2001:db8:1:2:1:2:3:4%eth0').allowed).to.equal(false);
    expect(limiter.exhausted('2001:db8:1:3::1'), 'the next /64').to.equal(false);
    expect(limiter.exhausted('2001:db8:1::'), '2001:db8:1:0::/64').to.equal(false);
  });

  it('keys an IPv4-mapped IPv6 address, dotted or in hex, as its IPv4 address, and IPv4 per address', () => {
    const limiter = new UnknownSidLimiter({ now: () => 0 });
    spend(limiter, ['::ffff:203.0.113.7', '::FFFF:cb00:7107', '203.0.113.7']);
    expect(limiter.exhausted('203.0.113.7')).to.equal(true);
    expect(limiter.exhausted('::ffff:203.0.113.7')).to.equal(true);
    expect(limiter.exhausted('203.0.113.8'), 'the next IPv4 address').to.equal(false);
    expect(limiter.exhausted('64:ff9b::203.0.113.7'), 'NAT64 is IPv6 (its /64)').to.equal(false);
  });

  it('keys an address written with a port, or in brackets, as the address (a proxy writing each connection\'s port, as Azure Application Gateway does)', () => {
    const limiter = new UnknownSidLimiter({ now: () => 0 });
    spend(limiter, ['203.0.113.7:40001', '203.0.113.7:40002', '203.0.113.7']);
    expect(limiter.recordMiss('203.0.113.7:40031').allowed).to.equal(false);
    expect(limiter.exhausted('203.0.113.8:40001'), 'another address').to.equal(false);
    spend(limiter, ['[2001:db8:1:2::1]:443', '[2001:db8:1:2::2]', '2001:db8:1:2::3']);
    expect(limiter.exhausted('[2001:db8:1:2::9]:50000')).to.equal(true);
    expect(limiter.exhausted('[2001:db8:1:3::1]:50000'), 'the next /64').to.equal(false);
  });

  it('keeps anything else as written, cut to 64 characters', () => {
    const limiter = new UnknownSidLimiter({ now: () => 0 });
    spend(limiter, [`${'x'.repeat(64)}-first`]);
    expect(limiter.exhausted(`${'x'.repeat(64)}-second`)).to.equal(true);
    expect(limiter.exhausted('not-an-address')).to.equal(false);
  });
});
