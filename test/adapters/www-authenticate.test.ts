import { expect } from 'chai';
import { parseChallenges, parseClaimsChallenge } from '../../src/adapters/http/www-authenticate.ts';

describe('parseClaimsChallenge (WWW-Authenticate of a 401 from the API)', () => {
  const revocation = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
  const base64 = (text: string) => Buffer.from(text).toString('base64');

  it('decodes the claims of an insufficient_claims challenge, quoted as Graph sends them', () => {
    expect(parseClaimsChallenge(`Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${base64(revocation)}"`)).to.equal(revocation);
  });

  it('takes bare token values too (RFC 9110 §11.2 auth-param)', () => {
    expect(parseClaimsChallenge(`Bearer error=insufficient_claims, claims=${base64(revocation)}`)).to.equal(revocation);
  });

  it('sees no claims challenge in another error, or without claims', () => {
    expect(parseClaimsChallenge(`Bearer error="invalid_token", claims="${base64(revocation)}"`)).to.equal(undefined);
    expect(parseClaimsChallenge('Bearer error="insufficient_claims"')).to.equal(undefined);
    expect(parseClaimsChallenge(null)).to.equal(undefined);
  });

  it("reads only the Bearer challenge's own parameters when the header holds several (RFC 9110 §11.6.1)", () => {
    const claims = base64(revocation);
    expect(parseClaimsChallenge(`Bearer realm="", error="insufficient_claims", claims="${claims}", PoP realm="", error="invalid_token"`)).to.equal(revocation);
    expect(parseClaimsChallenge(`PoP realm="", error="invalid_token", Bearer error="insufficient_claims", claims="${claims}"`)).to.equal(revocation);
    expect(parseClaimsChallenge(`Basic realm="x", Bearer error="insufficient_claims", claims="${claims}"`)).to.equal(revocation);
    expect(parseClaimsChallenge(`Negotiate abc123==, Bearer error="insufficient_claims", claims="${claims}"`), 'after a token68').to.equal(revocation);
    expect(parseClaimsChallenge(`PoP error="insufficient_claims", claims="${claims}"`), "another scheme's challenge").to.equal(undefined);
  });

  it('reads quoted strings with escaped quotes whole, and parameter names exactly', () => {
    const claims = base64(revocation);
    expect(
      parseClaimsChallenge(`Bearer error="insufficient_claims", claims="${claims}", error_description="the \\"Graph\\" resource needs claims=nbf"`),
    ).to.equal(revocation);
    expect(parseClaimsChallenge(`Bearer error_description="a \\"claims=x\\" and error=y", error="insufficient_claims", claims="${claims}"`)).to.equal(revocation);
    expect(parseClaimsChallenge(`Bearer x-error="insufficient_claims", claims="${claims}"`), 'x-error is not error').to.equal(undefined);
    expect(parseClaimsChallenge(`Bearer ERROR="insufficient_claims", Claims="${claims}"`), 'names are case-insensitive').to.equal(revocation);
  });

  it('skips empty list elements (RFC 9110 §5.6.1), and reads a bare value whole, base64 with / + = included', () => {
    const claims = base64(revocation);
    expect(parseClaimsChallenge(`Bearer , error="insufficient_claims", claims="${claims}"`)).to.equal(revocation);
    expect(parseClaimsChallenge(`Bearer error="insufficient_claims",, claims="${claims}" ,`)).to.equal(revocation);
    expect(parseChallenges('Bearer error=insufficient_claims, claims=ab/c+d==')[0]!.params.get('claims')).to.equal('ab/c+d==');
    expect(parseChallenges('Bearer claims=ab"cd"')[0]!.params.get('claims'), 'a value followed by something else is none').to.equal(undefined);
  });

  it('splits a header into its challenges, with commas and escapes inside quoted strings', () => {
    expect(parseChallenges('Basic realm="a, b", Bearer error="x\\"y", error_description="z"').map((c) => [c.scheme, Object.fromEntries(c.params)])).to.deep.equal([
      ['basic', { realm: 'a, b' }],
      ['bearer', { error: 'x"y', error_description: 'z' }],
    ]);
    expect(parseChallenges('Negotiate a1b2==, NTLM').map((c) => [c.scheme, c.token68])).to.deep.equal([
      ['negotiate', 'a1b2=='],
      ['ntlm', undefined],
    ]);
    expect(parseChallenges('Bearer realm="unterminated'), 'nothing read from what fits no rule').to.deep.equal([{ scheme: 'bearer', params: new Map() }]);
    expect(parseChallenges('Bearer error="x", claims="e30=" garbage').map((c) => c.scheme), 'no challenge made of leftovers').to.deep.equal(['bearer']);
    expect(parseChallenges('Bearer abc==, error="insufficient_claims"').map((c) => [c.scheme, c.token68]), 'nor of a stray parameter').to.deep.equal([['bearer', 'abc==']]);
  });

  it('refuses claims that are not a claims request (OpenID Connect Core §5.5: an object of objects), so the answer is a plain 401, not a 500', () => {
    for (const claims of ['null', '123', '"text"', '[]', '[{"a":1}]', 'not json', '{"access_token":"x"}', '{"access_token":null}', '{"id_token":5}', '{"access_token":[1]}']) {
      expect(parseClaimsChallenge(`Bearer error="insufficient_claims", claims="${base64(claims)}"`), claims).to.equal(undefined);
    }
    expect(parseClaimsChallenge(`Bearer error="insufficient_claims", claims="${base64('{}')}"`)).to.equal('{}');
  });
});
