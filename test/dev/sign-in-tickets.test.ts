import { expect } from 'chai';
import { CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID } from '../../src/dev/demo-tenants.ts';
import { demoUserByUsername } from '../../src/dev/demo-users.ts';
import { SIGN_IN_TICKET_TTL_MS, SignInTickets } from '../../src/dev/identity-provider/sign-in-tickets.ts';

const carol = demoUserByUsername('carol')!;
const request = (overrides: Record<string, string> = {}) => {
  const params: Record<string, string> = { client_id: 'web-app', redirect_uri: 'http://localhost:3000/cb', state: 's1', code_challenge: 'c1', ...overrides };
  return (name: string) => params[name];
};

describe('common sign-in tickets', () => {
  it('is taken once, by the user\'s tenant, for the request it was typed for', () => {
    const tickets = new SignInTickets();
    const id = tickets.issue(carol, request());
    expect(tickets.take(id, FABRIKAM_TENANT_ID, request())).to.equal(carol);
    expect(tickets.take(id, FABRIKAM_TENANT_ID, request()), 'second use').to.equal(undefined);
  });

  it('is refused by another tenant, for another authorization request, or without a ticket', () => {
    const tickets = new SignInTickets();
    const id = tickets.issue(carol, request());
    expect(tickets.take(id, CONTOSO_TENANT_ID, request())).to.equal(undefined);
    expect(tickets.take(id, FABRIKAM_TENANT_ID, request({ code_challenge: 'c2' }))).to.equal(undefined);
    expect(tickets.take(id, FABRIKAM_TENANT_ID, request({ state: 's2' }))).to.equal(undefined);
    expect(tickets.take(undefined, FABRIKAM_TENANT_ID, request())).to.equal(undefined);
    expect(tickets.take('guess', FABRIKAM_TENANT_ID, request())).to.equal(undefined);
    expect(tickets.take(id, FABRIKAM_TENANT_ID, request()), 'refusals did not use it up').to.equal(carol);
  });

  it('expires a minute after it was issued', () => {
    const tickets = new SignInTickets();
    const id = tickets.issue(carol, request(), 1_000_000);
    expect(tickets.take(id, FABRIKAM_TENANT_ID, request(), 1_000_000 + SIGN_IN_TICKET_TTL_MS)).to.equal(undefined);
  });
});
