import { expect } from 'chai';
import { loginHintFor, type SignedInAccount } from '../../src/domain/account.ts';

describe('the login hint sent when the user must sign in again', () => {
  const alice: SignedInAccount = { accountId: 'oid-a.tid', subject: 'sub-a', username: 'alice@contoso.com' };

  it('is the sign-in name, also when the ID token carried a login_hint claim (MSAL sends the hint as a UPN routing hint too)', () => {
    expect(loginHintFor(alice)).to.equal('alice@contoso.com');
    expect(loginHintFor({ ...alice, loginHint: 'opaque-hint-a' })).to.equal('alice@contoso.com');
  });

  it("is the ID token's login_hint claim when the sign-in name is only the subject the app fell back to", () => {
    expect(loginHintFor({ ...alice, username: 'sub-a', loginHint: 'opaque-hint-a' })).to.equal('opaque-hint-a');
  });

  it('is none when the sign-in name is only the subject and there is no claim: no identifier a person types', () => {
    expect(loginHintFor({ ...alice, username: 'sub-a' })).to.equal(undefined);
  });
});
