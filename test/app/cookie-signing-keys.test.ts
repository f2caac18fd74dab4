import { expect } from 'chai';
import { CookieSigningKeys } from '../../src/app/cookie-signing-keys.ts';

describe('session cookie signing', () => {
  it('verifies its own signature and refuses a changed value or signature', () => {
    const keys = new CookieSigningKeys(['newest-key-0123456789', 'older-key-0123456789']);
    const signature = keys.sign('app.session=abc');
    expect(keys.verify('app.session=abc', signature)).to.equal(true);
    expect(keys.verify('app.session=abd', signature)).to.equal(false);
    expect(keys.verify('app.session=abc', `${signature.slice(0, -1)}x`)).to.equal(false);
    expect(keys.verify('app.session=abc', '')).to.equal(false);
  });

  it('accepts cookies signed with an older key after rotation and tells which key signed them', () => {
    const before = new CookieSigningKeys(['older-key-0123456789']);
    const after = new CookieSigningKeys(['newest-key-0123456789', 'older-key-0123456789']);
    const oldSignature = before.sign('app.session=abc');
    expect(after.signedBy('app.session=abc', oldSignature)).to.equal(1);
    expect(after.signedBy('app.session=abc', after.sign('app.session=abc'))).to.equal(0);
    expect(new CookieSigningKeys(['newest-key-0123456789']).signedBy('app.session=abc', oldSignature)).to.equal(-1);
  });

  it('tells the cookies package 0 for an older key, so that it does not re-sign the cookie without its options', () => {
    const oldSignature = new CookieSigningKeys(['older-key-0123456789']).sign('app.session=abc');
    const keys = new CookieSigningKeys(['newest-key-0123456789', 'older-key-0123456789']);
    expect(keys.index('app.session=abc', oldSignature)).to.equal(0);
    expect(keys.index('app.session=abd', oldSignature)).to.equal(-1);
  });
});

describe('session cookie signing: verified signatures remembered', () => {
  it('remembers only signatures that verified, and answers the same from memory', () => {
    const keys = new CookieSigningKeys(['newest-key-0123456789', 'older-key-0123456789']);
    const oldSignature = new CookieSigningKeys(['older-key-0123456789']).sign('app.session=abc');
    expect(keys.signedBy('app.session=abc', oldSignature)).to.equal(1);
    expect(keys.signedBy('app.session=abc', oldSignature)).to.equal(1);
    expect(keys.signedBy('app.session=abc', `${oldSignature.slice(0, -1)}x`)).to.equal(-1);
    expect(keys.signedBy('app.session=abd', oldSignature)).to.equal(-1);
    expect(keys.signedBy('app.session=abd', oldSignature)).to.equal(-1);
    expect(keys.remembered).to.equal(1);
  });

  it('does not let a remembered pair verify another value whose text runs into the signature', () => {
    const keys = new CookieSigningKeys(['newest-key-0123456789']);
    const signature = keys.sign('app.session=abc');
    expect(keys.verify('app.session=abc', signature)).to.equal(true);
    // The same characters split differently between value and signature.
    expect(keys.verify(`app.session=abc\n${signature.slice(0, 3)}`, signature.slice(3))).to.equal(false);
  });

  it('holds at most the configured number, forgetting the oldest, and still verifies a forgotten one', () => {
    const keys = new CookieSigningKeys(['newest-key-0123456789'], { remember: 3 });
    const values = ['a', 'b', 'c', 'd'].map((id) => `app.session=${id}`);
    for (const value of values) expect(keys.verify(value, keys.sign(value))).to.equal(true);
    expect(keys.remembered).to.equal(3);
    expect(keys.verify(values[0]!, keys.sign(values[0]!))).to.equal(true);
    expect(keys.remembered).to.equal(3);
  });
});
