import { expect } from 'chai';
import { loginHintFor, type SignedInAccount } from '../../src/domain/account.ts';

describe('the login hint sent when the user must sign in again', () => {
  const alice: SignedInAccount = { accountId: 'oid-a.tid', subject: 'sub-a', username: 'alice@contoso.com' };

  it("is the ID token's own login_hint claim when the provider issued one (Entra's opaque hint)", () => {
    expect(loginHintFor({ ...alice, loginHint: 'opaque-hint-a' })).to.equal('opaque-hint-a');
  });

  it('is the sign-in name otherwise', () => {
    expect(loginHintFor(alice)).to.equal('alice@contoso.com');
  });

  it('is none when the sign-in name is only the subject the app fell back to: no identifier a person types', () => {
    expect(loginHintFor({ ...alice, username: 'sub-a' })).to.equal(undefined);
  });
});
