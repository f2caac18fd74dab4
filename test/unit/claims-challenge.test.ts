import { expect } from 'chai';
import { isRevocationChallenge } from '../../src/domain/claims-challenge.ts';

describe('isRevocationChallenge', () => {
  it('recognises the CAE revocation challenge (an essential nbf on the access token)', () => {
    expect(isRevocationChallenge('{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}')).to.equal(true);
  });

  it('does not take a step-up (acrs), an xms_cc, a non-essential nbf or garbage for a revocation', () => {
    for (const claims of [
      '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
      '{"access_token":{"xms_cc":{"values":["cp1"]}}}',
      '{"access_token":{"nbf":{"value":"1700000000"}}}',
      '{"id_token":{"nbf":{"essential":true}}}',
      'not json',
      '',
      undefined,
    ]) {
      expect(isRevocationChallenge(claims), String(claims)).to.equal(false);
    }
  });
});
