import type Koa from 'koa';
import { expect } from 'chai';
import { cookiePolicy } from '../../src/app/cookie-policy.ts';
import { PendingSignInCookie } from '../../src/app/pending-sign-in-cookie.ts';

/** A request context whose cookie jar records every name it is asked for, and what is set. */
function contextWith(cookieHeader: string) {
  const asked: string[] = [];
  const set: string[] = [];
  const ctx = {
    secure: false,
    state: {},
    get: (header: string) => (header.toLowerCase() === 'cookie' ? cookieHeader : ''),
    cookies: {
      get: (name: string) => {
        asked.push(name);
        return undefined;
      },
      set: (name: string) => {
        set.push(name);
      },
    },
  } as unknown as Koa.Context;
  return { ctx, asked, set };
}

/** A request context whose answer's last cookie value is kept: what `write` sealed. */
function sealingContext() {
  const written = { value: '' };
  const ctx = {
    ...contextWith('').ctx,
    state: {},
    cookies: { get: () => undefined, set: (_name: string, value: string) => (written.value = value) },
  } as unknown as Koa.Context;
  return { ctx, sealed: () => written.value };
}

describe('the pending sign-in cookies', () => {
  const cookies = cookiePolicy({ publicUrl: 'http://localhost:3000', sessionCookieName: 'app.session' });
  const pending = new PendingSignInCookie({ cookies, sessionKeys: ['a-session-key-of-16+'], now: Date.now });

  it('never asks the cookies package for a name made from the request: it keeps a RegExp for each name for good', () => {
    const { ctx, asked } = contextWith('other=1; app.session.pending.AAAAAAAAAAAAAAAA=v1.x');
    for (let i = 0; i < 100; i++) pending.take(ctx, `forged-${i}`);
    expect(asked).to.deep.equal([]);
  });

  it('leaves out the claims and login hint kept for a sign-in started again when the cookie would not fit what a browser keeps', () => {
    const { ctx: capture, sealed } = sealingContext();
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'x'.repeat(600) } } });
    const longest = { checks: { state: 's', nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43) }, returnTo: `/${'a'.repeat(2047)}`, scopes: ['User.Read'], startedAt: Date.now() };
    pending.write(capture, { ...longest, claims, loginHint: 'h'.repeat(256) }, 's');
    expect(sealed().length, 'within the 4,096 bytes with its name and attributes').to.be.at.most(3800);
    // Read back (as the unnamed cookie of earlier releases, whose name needs no digest): left out.
    expect(pending.take(contextWith(`app.session.pending=${sealed()}`).ctx, 's')).to.not.have.any.keys('claims', 'loginHint');

    // Another sign-in (another state): the callback of `s` was taken, and is not taken twice.
    pending.write(capture, { ...longest, checks: { ...longest.checks, state: 's2' }, returnTo: '/profile', claims, loginHint: 'alice' }, 's2');
    expect(pending.take(contextWith(`app.session.pending=${sealed()}`).ctx, 's2'), 'kept when they fit').to.include({ claims, loginHint: 'alice' });
  });

  it('keeps a claims request of any length that fits, and leaves out the login hint before the claims', () => {
    const { ctx: capture, sealed } = sealingContext();
    const base = { checks: { state: 'k1', nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43) }, scopes: ['User.Read'], startedAt: Date.now() };
    // A Conditional Access challenge naming many policies: over 1,000 characters.
    const manyPolicies = JSON.stringify({ access_token: { capolids: { essential: true, values: Array.from({ length: 25 }, (_, i) => `${String(i).padStart(8, '0')}-1111-2222-3333-444444444444`) } } });
    expect(manyPolicies.length).to.be.above(1000);
    pending.write(capture, { ...base, returnTo: '/profile', claims: manyPolicies, loginHint: 'alice' }, 'k1');
    expect(pending.take(contextWith(`app.session.pending=${sealed()}`).ctx, 'k1')).to.include({ claims: manyPolicies, loginHint: 'alice' });

    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'x'.repeat(300) } } });
    pending.write(capture, { ...base, checks: { ...base.checks, state: 'k2' }, returnTo: `/${'a'.repeat(2047)}`, claims, loginHint: 'h'.repeat(256) }, 'k2');
    const kept = pending.take(contextWith(`app.session.pending=${sealed()}`).ctx, 'k2');
    expect(kept, 'the claims fit once the hint is left out').to.include({ claims });
    expect(kept).to.not.have.any.keys('loginHint');
  });

  it('leaves the unnamed cookie of earlier releases to the callback of its own state', () => {
    // What an earlier release kept: a sealed pending sign-in under the unnamed cookie.
    const { ctx: capture, sealed } = sealingContext();
    pending.write(capture, { checks: { state: 'the-state' }, returnTo: '/', scopes: [], startedAt: Date.now() }, 'the-state');
    const sealedHeader = (name: string) => `app.session.pending=${sealed()}; unrelated=${name}`;

    const forged = contextWith(sealedHeader('x'));
    expect(pending.take(forged.ctx, 'forged')).to.equal(undefined);
    expect(forged.set, 'the sign-in in progress is not cleared').to.deep.equal([]);

    const own = contextWith(sealedHeader('x'));
    expect(pending.take(own.ctx, 'the-state')?.returnTo).to.equal('/');
    expect(own.set).to.deep.equal(['app.session.pending']);
  });
});
