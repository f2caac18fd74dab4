import { expect } from 'chai';
import {
  ApiChallenge,
  ApiForbidden,
  DownstreamApiUnavailable,
  IdentityProviderUnavailable,
  InteractionRequired,
  SignInFailed,
  SignInRejected,
  SignInUnverified,
  SignOutRejected,
  StoreUnavailable,
} from '../../src/domain/errors.ts';
import { httpAnswerOf } from '../../src/app/http-errors.ts';

describe('the one table from errors to HTTP answers', () => {
  it('answers each domain error with its status and, for 4xx, its message for the user', () => {
    const cases: Array<[Error, number]> = [
      [new IdentityProviderUnavailable('discovery at https://idp.example failed'), 503],
      [new StoreUnavailable('redis down'), 503],
      [new DownstreamApiUnavailable('graph down'), 502],
      [new ApiChallenge(), 502],
      [new ApiForbidden('GET https://graph.example answered 403'), 403],
      [new InteractionRequired(['User.Read']), 401],
      [new SignInUnverified('aud'), 400],
      [new SignInRejected('No sign-in is in progress in this browser. Please start again.'), 400],
      [new SignInFailed('access_denied'), 400],
      [new SignOutRejected('The logout token is not valid (signature).'), 400],
    ];
    for (const [error, status] of cases) {
      const answer = httpAnswerOf(error);
      expect(answer.status, error.name).to.equal(status);
      expect(answer.message, error.name).to.equal((error as unknown as { userMessage: string }).userMessage);
    }
  });

  it('answers anything else with a 500 that reveals nothing', () => {
    const answer = httpAnswerOf(new TypeError('cannot read x of undefined at /src/secret/path.ts'));
    expect(answer).to.deep.equal({ status: 500, message: 'Something went wrong on our side. Please try again.' });
  });

  it("keeps a Koa error's status, and shows its message only when it is meant to be shown", () => {
    expect(httpAnswerOf(Object.assign(new Error('Too many requests'), { status: 429, expose: true }))).to.deep.equal({ status: 429, message: 'Too many requests' });
    expect(httpAnswerOf(Object.assign(new Error('db password wrong'), { status: 500, expose: false })).message).to.not.contain('password');
  });
});
