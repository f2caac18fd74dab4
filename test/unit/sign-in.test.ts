import { expect } from 'chai';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { SignInFailed, SignInRejected } from '../../src/domain/errors.ts';
import { codeChallengeS256 } from '../../src/domain/random.ts';
import { PENDING_SIGN_IN_LIFETIME_MS, SignIn, type PendingSignIn } from '../../src/domain/sign-in.ts';
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

  /** Starts a sign-in and lets alice authenticate at the provider; resolves to the callback code. */
  async function startAndAuthenticate(returnTo?: string) {
    const { authorizationUrl, pending } = await signIn.begin({ returnTo });
    const query = new URL(authorizationUrl).searchParams;
    const code = provider.issueCode(alice, {
      sid: 'sid-alice',
      nonce: query.get('nonce') ?? '',
      codeChallenge: query.get('code_challenge') ?? '',
    });
    return { pending, code };
  }

  describe('begin', () => {
    it('sends a PKCE S256 challenge derived from the verifier kept in the pending sign-in', async () => {
      const { authorizationUrl, pending } = await signIn.begin();
      const query = new URL(authorizationUrl).searchParams;

      expect(query.get('code_challenge_method')).to.equal('S256');
      expect(query.get('code_challenge')).to.equal(codeChallengeS256(pending.codeVerifier));
      expect(query.get('code_challenge')).not.to.equal(pending.codeVerifier);
    });

    it('sends the state and nonce it remembers, fresh and different for every sign-in', async () => {
      const first = await signIn.begin();
      const second = await signIn.begin();
      const query = new URL(first.authorizationUrl).searchParams;

      expect(query.get('state')).to.equal(first.pending.state);
      expect(query.get('nonce')).to.equal(first.pending.nonce);
      expect(first.pending.state).not.to.equal(first.pending.nonce);
      expect(second.pending.state).not.to.equal(first.pending.state);
      expect(second.pending.nonce).not.to.equal(first.pending.nonce);
      expect(second.pending.codeVerifier).not.to.equal(first.pending.codeVerifier);
    });

    it('asks for the downstream API scopes unless other scopes are requested', async () => {
      const byDefault = await signIn.begin();
      const incremental = await signIn.begin({ scopes: ['Mail.Read'] });

      expect(new URL(byDefault.authorizationUrl).searchParams.get('scope')).to.equal(API_SCOPES.join(' '));
      expect(byDefault.pending.scopes).to.deep.equal(API_SCOPES);
      expect(incremental.pending.scopes).to.deep.equal(['Mail.Read']);
    });

    it('sanitizes the destination so the user cannot be sent off this site (see return-to.test.ts)', async () => {
      const { pending } = await signIn.begin({ returnTo: '//evil.example' });
      expect(pending.returnTo).to.equal('/');
    });

    it('keeps a same-site path with its query and fragment', async () => {
      const { pending } = await signIn.begin({ returnTo: '/profile?x=1#y' });
      expect(pending.returnTo).to.equal('/profile?x=1#y');
    });
  });

  describe('complete', () => {
    it('redeems the code, stores the account partition and returns where the user wanted to go', async () => {
      const { pending, code } = await startAndAuthenticate('/profile');

      const result = await signIn.complete(pending, { code, state: pending.state });

      expect(result.returnTo).to.equal('/profile');
      expect(result.account).to.include({ accountId: alice.accountId, subject: alice.subject, sid: 'sid-alice' });
      expect(await tokenStore.read(alice.accountId)).to.not.equal(undefined);
    });

    it('rejects a callback when this browser started no sign-in', async () => {
      const { code, pending } = await startAndAuthenticate();

      await expectRejection(signIn.complete(undefined, { code, state: pending.state }), SignInRejected);
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
      const { pending } = await signIn.begin();

      const error = await expectRejection(
        signIn.complete(pending, { state: pending.state, error: 'access_denied', error_description: 'user said no' }),
        SignInFailed,
      );
      expect(error.providerError).to.equal('access_denied');
      expect(error.userMessage).to.match(/cancelled|denied/);
    });

    it('rejects a callback without a code', async () => {
      const { pending } = await startAndAuthenticate();
      await expectRejection(signIn.complete(pending, { state: pending.state }), SignInRejected);
    });

    it('rejects a sign-in left pending for more than ten minutes', async () => {
      const { pending, code } = await startAndAuthenticate();
      time += PENDING_SIGN_IN_LIFETIME_MS + 1;

      await expectRejection(signIn.complete(pending, { code, state: pending.state }), SignInRejected);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });

    it('refuses to redeem the same code twice', async () => {
      const { pending, code } = await startAndAuthenticate();
      await signIn.complete(pending, { code, state: pending.state });

      await expectRejection(signIn.complete(pending, { code, state: pending.state }), SignInFailed);
    });

    it('fails when the code was issued for another PKCE verifier (intercepted code)', async () => {
      const { pending, code } = await startAndAuthenticate();
      const attacker: PendingSignIn = { ...pending, codeVerifier: 'attacker-verifier' };

      await expectRejection(signIn.complete(attacker, { code, state: pending.state }), SignInFailed);
      expect(await tokenStore.read(alice.accountId)).to.equal(undefined);
    });
  });
});
