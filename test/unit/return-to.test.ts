import { expect } from 'chai';
import { sameSitePath } from '../../src/domain/return-to.ts';

describe('sameSitePath', () => {
  const offSite: Array<[string, unknown]> = [
    ['an absolute URL', 'https://evil.example'],
    ['a protocol-relative URL', '//evil.example'],
    ['a backslash that browsers read as a slash', '/\\evil.example'],
    ['a backslash anywhere in the path', '/a/b\\..\\..\\/evil.example?q'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a raw CR/LF (header injection)', '/\r\nSet-Cookie: x=1'],
    ['a relative path without a leading slash', 'evil.example'],
    ['an empty string', ''],
    ['something that is not a string', ['/profile']],
    ['a path that is too long', `/${'a'.repeat(2048)}`],
    ['a path that is too long once percent-encoded', `/${'\u00e9'.repeat(400)}`],
    ['a query that is too long once percent-encoded', `/?${'"'.repeat(1000)}`],
  ];
  for (const [label, candidate] of offSite) {
    it(`refuses ${label}`, () => {
      expect(sameSitePath(candidate)).to.equal(undefined);
    });
  }

  // Dot segments are resolved by the URL parser: '/..//evil.example' normalizes to
  // '//evil.example', which a browser follows to evil.example.
  for (const candidate of ['/..//evil.example', '/.//evil.example', '/%2e%2e//evil.example', '/a/..//evil.example']) {
    it(`refuses ${JSON.stringify(candidate)}, which a browser would follow off the site`, () => {
      expect(sameSitePath(candidate)).to.equal(undefined);
    });
  }

  it('keeps a percent-encoded CR/LF encoded, so no raw control character reaches a header', () => {
    const result = sameSitePath('/%0d%0a');
    expect(result).to.match(/^\/(?!\/)/);
    expect(result).not.to.match(/[\r\n]/);
  });

  it('keeps a path of 2048 characters once percent-encoded', () => {
    const path = `/${'\u00e9'.repeat(341)}${'a'.repeat(1)}`;
    expect(sameSitePath(path)).to.have.length(2048);
  });

  it('keeps a same-site path with its query and fragment', () => {
    expect(sameSitePath('/profile?x=1#y')).to.equal('/profile?x=1#y');
  });

  it('keeps a backslash in the query or the fragment, where no browser reads it as a slash', () => {
    expect(sameSitePath('/profile?a=\\b')).to.equal('/profile?a=\\b');
    expect(sameSitePath('/profile#\\evil.example')).to.equal('/profile#\\evil.example');
    expect(sameSitePath('/profile?\\\\evil.example')).to.equal('/profile?\\\\evil.example');
  });
});
