import { expect } from 'chai';
import { CookieSealer } from '../../src/app/cookie-sealer.ts';

const OLD_KEY = 'old-session-key-0123456789';
const NEW_KEY = 'new-session-key-0123456789';
const NOW = 1_800_000_000_000;

describe('CookieSealer', () => {
  const sealer = new CookieSealer({ secrets: [OLD_KEY], label: 'pending sign-in cookie' });

  it('opens what it sealed until it expires, and not from then on', () => {
    const sealed = sealer.seal({ state: 's', scopes: ['User.Read'] }, NOW + 1000);
    expect(sealer.open(sealed, NOW)).to.deep.equal({ state: 's', scopes: ['User.Read'] });
    expect(sealer.open(sealed, NOW + 999)).to.deep.equal({ state: 's', scopes: ['User.Read'] });
    expect(sealer.open(sealed, NOW + 1000)).to.equal(undefined);
  });

  it('shows nothing of the value in the sealed text, and seals the same value differently each time', () => {
    const a = sealer.seal({ state: 'visible-state' }, NOW + 1000);
    const b = sealer.seal({ state: 'visible-state' }, NOW + 1000);
    expect(a).to.not.equal(b);
    expect(Buffer.from(a.slice(3), 'base64url').toString('latin1')).to.not.contain('visible-state');
  });

  it('refuses a sealed text with any byte changed', () => {
    const sealed = sealer.seal({ state: 's' }, NOW + 1000);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i]! ^= 1;
      expect(sealer.open(`v1.${changed.toString('base64url')}`, NOW), `byte ${i}`).to.equal(undefined);
    }
  });

  it('refuses garbage, an empty text and an unknown version', () => {
    for (const text of ['', 'v1.', 'v1.AAAA', 'garbage', `v2.${sealer.seal(1, NOW + 1000).slice(3)}`]) {
      expect(sealer.open(text, NOW), text).to.equal(undefined);
    }
  });

  it('opens with any configured key and seals with the first, so SESSION_KEYS can be rotated', () => {
    const rotated = new CookieSealer({ secrets: [NEW_KEY, OLD_KEY], label: 'pending sign-in cookie' });
    expect(rotated.open(sealer.seal('before', NOW + 1000), NOW)).to.equal('before');
    const sealedAfter = rotated.seal('after', NOW + 1000);
    expect(sealer.open(sealedAfter, NOW), 'the old key alone cannot open it').to.equal(undefined);
    expect(new CookieSealer({ secrets: [NEW_KEY], label: 'pending sign-in cookie' }).open(sealedAfter, NOW)).to.equal('after');
  });

  it('does not open a value sealed for another purpose with the same keys', () => {
    const other = new CookieSealer({ secrets: [OLD_KEY], label: 'something else' });
    expect(sealer.open(other.seal('x', NOW + 1000), NOW)).to.equal(undefined);
  });
});
