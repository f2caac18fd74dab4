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
    expect(after.index('app.session=abc', oldSignature)).to.equal(1);
    expect(after.index('app.session=abc', after.sign('app.session=abc'))).to.equal(0);
    expect(new CookieSigningKeys(['newest-key-0123456789']).index('app.session=abc', oldSignature)).to.equal(-1);
  });
});
