import { createRequire } from 'node:module';
import { expect } from 'chai';

/** vendor/crc, installed in place of koa-session's crc by package.json's `overrides`. */
interface Crc {
  crc32(data: string | Uint8Array, previous?: number): number;
}
const koaSessionRequire = createRequire(createRequire(import.meta.url).resolve('koa-session'));

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) one bit at a time: what crc 3.8 computed. */
function referenceCrc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe("koa-session's session hash, computed natively (vendor/crc)", () => {
  it('is the crc koa-session loads', () => {
    expect(koaSessionRequire.resolve('crc')).to.match(/vendor\/crc\/index\.js$/);
  });

  it('gives the CRC-32 check value', () => {
    const crc = koaSessionRequire('crc') as Crc;
    expect(crc.crc32('123456789')).to.equal(0xcbf43926);
  });

  it('hashes a string as its UTF-8 bytes, unsigned, as crc 3.8 did', () => {
    const crc = koaSessionRequire('crc') as Crc;
    const sessions = [
      '',
      JSON.stringify({ account: { accountId: 'oid.tid', username: 'zoë@example.com', name: 'Zoë Ørsted 🦊' }, csrfToken: 'x'.repeat(43), signedInAt: 1764590000000 }),
      'ASCII only, and then a 4-byte character: 𝄞',
    ];
    for (const json of sessions) {
      const bytes = new TextEncoder().encode(json);
      expect(crc.crc32(json), json).to.equal(referenceCrc32(bytes));
      expect(crc.crc32(bytes), json).to.equal(referenceCrc32(bytes));
    }
  });

  it('continues from a previous value', () => {
    const crc = koaSessionRequire('crc') as Crc;
    expect(crc.crc32('56789', crc.crc32('1234'))).to.equal(0xcbf43926);
  });
});
