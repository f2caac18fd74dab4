import { expect } from 'chai';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { InteractionNotSatisfied, InteractionRequired, SignInAgainWithClaims, SignInFailed, SignInRejected } from '../../src/domain/errors.ts';
import { PENDING_SIGN_IN_LIFETIME_MS, SignIn } from '../../src/domain/sign-in.ts';
import { FakeIdentityProvider, type FakeUser } from '../support/fake-identity-provider.ts';
import { expectRejection } from './expect-rejection.ts';

const API_SCOPES = ['api://demo/Profile.Read'];
const alice: FakeUser = { accountId: 'alice.tenant', subject: 'alice-sub', username: 'alice@example.com', name: 'Alice' };

describe('SignIn', () => {
  let time: number;
  let tokenStore: MemoryTokenStore;
  let provider: FakeIdentityProvider;
  let signIn: SignIn;

  beforeEach(() => {
    time = Date.UTC(2030, 0, 1);
    const now = () => time;
    tokenStore = new MemoryTokenStore({ now });
    provider = new FakeIdentityProvider({ tokenStore, now });
    signIn = new SignIn({ identityProvider: provider, apiScopes: API_SCOPES, now });
  });

  /**
   * Starts a sign-in and lets alice authenticate at the provider; resolves to what the browser
   * brings back (the code and the state of the authorization request) and the pending sign-in.
   */
  async function startAndAuthenticate(returnTo?: string) {
    const { authorizationUrl, pending } = await signIn.begin({ returnTo });
    const query = new URL(authorizationUrl).searchParams;
    const code = provider.issueCode(alice, {
      sid: 'sid-alice',
      nonce: query.get('nonce') ?? '',
      codeChallenge: query.get('code_challenge') ?? '',
    });
    return { pending, code, state: query.get('state')!, nonce: query.get('nonce')! };
  }

  describe('claims asked for when the code is redeemed', () => {
    const STEP_UP = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    const POLICY = JSON.stringify({ access_token: { capolids: { essential: true, values: ['p1'] } } });

    it('starts the sign-in again with what the first request asked for and the claims asked now, and the login hint', async () => {
      const { pending } = await signIn.begin({ returnTo: '/profile', claims: STEP_UP, loginHint: 'alice@example.com', interaction: true });
      provider.completeSignIn = async () => {
        throw new InteractionRequired(API_SCOPES, POLICY, { reason: 'interaction_required' });
      };
      const error = await signIn.complete(pending, { code: 'c', state: 's' }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SignInAgainWithClaims);
      const { retry } = error as SignInAgainWithClaims;
      expect(JSON.parse(retry.claims)).to.deep.equal({ access_token: { acrs: { essential: true, value: 'c1' }, capolids: { essential: true, values: ['p1'] } } });
      expect(retry).to.include({ returnTo: '/profile', loginHint: 'alice@example.com', interaction: true });
    });

    it('does not start it again a second time: the provider cannot be satisfied', async () => {
      const { pending } = await signIn.begin({ returnTo: '/profile', claims: POLICY, claimsRetry: true });
      provider.completeSignIn = async () => {
        throw new InteractionRequired(API_SCOPES, POLICY, { reason: 'interaction_required' });
      };
      expect(await signIn.complete(pending, { code: 'c', state: 's' }).catch((e: unknown) => e)).to.be.instanceOf(InteractionNotSatisfied);
    });
  });

  describe('begin', () => {
    it("keeps the provider's protocol checks in the pending sign-in, fresh for every sign-in", async () => {
      const first = await signIn.begin();
      const second = await signIn.begin();

      expect(Object.keys(first.pending.checks)).to.not.be.empty;
      expect(first.pending.checks).to.not.deep.equal(second.pending.checks);
      expect(new URL(first.authorizationUrl).searchParams.get('state')).to.not.equal(new URL(second.authorizationUrl).searchParams.get('state'));
      expect(first.pending.startedAt).to.equal(time);
    });

    it('asks for the downstream API scopes unless other scopes are requested', async () => {
      const byDefault = await signIn.begin();
      const incremental = await signIn.begin({ scopes: ['Mail.Read'] });

      expect(new URL(byDefault.authorizationUrl).searchParams.get('scope')).to.equal(API_SCOPES.join(' '));
      expect(byDefault.pending.scopes).to.deep.equal(API_SCOPES);
      expect(incremental.pending.scopes).to.deep.equal(['Mail.Read']);
    });

    it('refuses a destination off this site, so the user is never sent there (see return-to.test.ts)', async () => {
      const refusal = await signIn.begin({ returnTo: '//evil.example' }).catch((error: unknown) => error);
      expect(refusal).to.be.instanceOf(SignInRejected).with.property('userMessage').that.matches(/outside this site/);
    });

    it('returns the user to / when no destination is given', async () => {
      expect((await signIn.begin({})).pending.returnTo).to.equal('/');
    });

    it('keeps a same-site path with its query and fragment', async () => {
      const { pending } = await signIn.begin({ returnTo: '/profile?x=1#y' });
      expect(pending.returnTo).to.equal('/profile?x=1#y');
    });
  });

  describe('complete', () => {
    it('redeems the code, stores the account partition and returns where the user wanted to go', async () => {
      const { pending, code, state } = await startAndAuthenticate('/profile');

      const result = await signIn.complete(pending, { code, state });

      expect(result.returnTo).to.equal('/profile');
      expect(result.account).to.include({ accountId: alice.accountId, subject: alice.subject, sid: 'sid-alice' });
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
    });

    it('rejects a callback when this browser started no sign-in', async () => {
      const { code, state } = await startAndAuthenticate();

      await expectRejection(signIn.complete(undefined, { code, state }), SignInRejected);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    for (const [label, state] of [['a different', 'forged-state'], ['no', undefined]] as const) {
      it(`rejects a callback with ${label} state and stores no tokens`, async () => {
        const { pending, code } = await startAndAuthenticate();

        await expectRejection(signIn.complete(pending, { code, state }), SignInRejected);
        expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
      });
    }

    it('reports the provider error when the user denied access', async () => {
      const { pending, state } = await startAndAuthenticate();

      const error = await expectRejection(
        signIn.complete(pending, { state, error: 'access_denied', error_description: 'user said no' }),
        SignInFailed,
      );
      expect(error.providerError).to.equal('access_denied');
      expect(error.userMessage).to.match(/cancelled|denied/);
    });

    it('rejects a callback without a code', async () => {
      const { pending, state } = await startAndAuthenticate();
      await expectRejection(signIn.complete(pending, { state }), SignInRejected);
    });

    it('rejects a sign-in left pending for more than ten minutes', async () => {
      const { pending, code, state } = await startAndAuthenticate();
      time += PENDING_SIGN_IN_LIFETIME_MS + 1;

      await expectRejection(signIn.complete(pending, { code, state }), SignInRejected);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it('refuses to redeem the same code twice', async () => {
      const { pending, code, state } = await startAndAuthenticate();
      await signIn.complete(pending, { code, state });

      await expectRejection(signIn.complete(pending, { code, state }), SignInFailed);
    });

    it('fails when the code was issued for another PKCE verifier (intercepted code)', async () => {
      const { code, state, nonce } = await startAndAuthenticate();
      // An attacker who intercepted alice's code, and read her state and nonce off the authorization
      // URL, redeems it from their own pending sign-in: only the PKCE verifier is not hers.
      const attacker = (await signIn.begin()).pending;

      await expectRejection(signIn.complete({ ...attacker, checks: { ...attacker.checks, state, nonce } }, { code, state }), SignInFailed);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });
  });
});
