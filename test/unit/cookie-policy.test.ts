import { expect } from 'chai';
import { cookiePolicy } from '../../src/app/cookie-policy.ts';

describe('cookiePolicy', () => {
  it('uses the configured name as it is on http', () => {
    expect(cookiePolicy({ publicUrl: 'http://localhost:3000', sessionCookieName: 'app-a.session' })).to.deep.equal({
      https: false,
      sessionCookieName: 'app-a.session',
      pendingSignInCookieName: 'app-a.session.pending',
      signedOutNoticeCookieName: 'app-a.session.signed-out',
      sessionEndedNoticeCookieName: 'app-a.session.session-ended',
    });
  });

  it('prefixes every cookie with __Host- on https', () => {
    expect(cookiePolicy({ publicUrl: 'https://app.example', sessionCookieName: 'app.session' })).to.deep.equal({
      https: true,
      sessionCookieName: '__Host-app.session',
      pendingSignInCookieName: '__Host-app.session.pending',
      signedOutNoticeCookieName: '__Host-app.session.signed-out',
      sessionEndedNoticeCookieName: '__Host-app.session.session-ended',
    });
  });

  it('never doubles a __Host- prefix given in SESSION_COOKIE_NAME, and drops it on http where browsers would refuse it', () => {
    expect(cookiePolicy({ publicUrl: 'https://app.example', sessionCookieName: '__Host-s' }).sessionCookieName).to.equal('__Host-s');
    expect(cookiePolicy({ publicUrl: 'http://localhost', sessionCookieName: '__Host-s' }).sessionCookieName).to.equal('s');
  });
});
