import { expect } from 'chai';
import { parseClaimsChallenge } from '../../src/adapters/http/www-authenticate.ts';

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

  it('refuses claims that are not a JSON object (OpenID Connect Core §5.5), so the answer is a plain 401, not a 500', () => {
    for (const claims of ['null', '123', '"text"', '[]', '[{"a":1}]', 'not json']) {
      expect(parseClaimsChallenge(`Bearer error="insufficient_claims", claims="${base64(claims)}"`), claims).to.equal(undefined);
    }
    expect(parseClaimsChallenge(`Bearer error="insufficient_claims", claims="${base64('{}')}"`)).to.equal('{}');
  });
});
