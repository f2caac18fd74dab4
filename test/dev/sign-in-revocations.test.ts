import { expect } from 'chai';
import { SignInRevocationList } from '../../src/dev/sign-in-revocations.ts';

describe('sign-in revocations', () => {
  it('takes effect at the next whole second, so tokens issued earlier in the same second are refused too', () => {
    const revocations = new SignInRevocationList();
    expect(revocations.revoke('oid-1', 1_700_000_000_250)).to.equal(1_700_000_001);
    expect(revocations.revoke('oid-2', 1_700_000_000_000)).to.equal(1_700_000_001);
    expect(revocations.notBefore('oid-1')).to.equal(1_700_000_001);
  });

  it('knows nothing of users never revoked, and never moves a revocation back in time', () => {
    const revocations = new SignInRevocationList();
    expect(revocations.notBefore('oid-1')).to.equal(undefined);
    revocations.revoke('oid-1', 1_700_000_005_000);
    revocations.revoke('oid-1', 1_700_000_001_000);
    expect(revocations.notBefore('oid-1')).to.equal(1_700_000_006);
  });
});
