import { expect } from 'chai';
import { describeAuthority, discoveryUrl } from '../../src/adapters/oidc/authority.ts';
import { IssuerMismatch, IssuerRule, type AllowedTenants } from '../../src/adapters/oidc/issuer-rule.ts';

/**
 * Every Microsoft Entra authority shape, from AUTHORITY alone: where discovery is read, the issuer
 * that discovery publishes, and the rule that compares a token's `iss` (and `tid`) with it.
 */
const T1 = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const T2 = 'c0ffee00-1111-2222-3333-444444444444';
const MSA = '9188040d-6c67-4c5b-b112-36a304b66dad';

function rule(authority: string, issuer: string, allowed: AllowedTenants = []): IssuerRule {
  return new IssuerRule(describeAuthority(authority), issuer, allowed);
}

function mismatch(authority: string, issuer: string): string {
  try {
    rule(authority, issuer);
  } catch (error) {
    expect(error).to.be.instanceOf(IssuerMismatch);
    return (error as Error).message;
  }
  return expect.fail(`expected ${issuer} not to fit ${authority}`);
}

interface Shape {
  readonly name: string;
  readonly authority: string;
  readonly discovery: string;
  readonly issuer: string;
  readonly allowed?: AllowedTenants;
  readonly kind: string;
  /** Tokens (iss, tid) accepted and refused with the rule's reason. */
  readonly accepts: ReadonlyArray<{ iss: string; tid?: string }>;
  readonly refuses: ReadonlyArray<[{ iss: string; tid?: string }, 'iss' | 'tid']>;
}

const SHAPES: readonly Shape[] = [
  {
    name: 'single tenant by id',
    authority: `https://login.microsoftonline.com/${T1}`,
    discovery: `https://login.microsoftonline.com/${T1}/v2.0/.well-known/openid-configuration`,
    issuer: `https://login.microsoftonline.com/${T1}/v2.0`,
    kind: 'entra',
    accepts: [{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }],
    refuses: [[{ iss: `https://login.microsoftonline.com/${T2}/v2.0`, tid: T2 }, 'iss']],
  },
  {
    name: 'single tenant by domain name (the issuer carries the tenant id)',
    authority: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
    discovery: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration',
    issuer: `https://login.microsoftonline.com/${T1}/v2.0`,
    kind: 'entra',
    accepts: [{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }],
    refuses: [[{ iss: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0' }, 'iss']],
  },
  {
    name: 'multi-tenant common with ALLOWED_TENANTS',
    authority: 'https://login.microsoftonline.com/common',
    discovery: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    allowed: [T1],
    kind: 'entra',
    accepts: [{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }],
    refuses: [
      [{ iss: `https://login.microsoftonline.com/${T2}/v2.0`, tid: T2 }, 'tid'],
      [{ iss: `https://login.microsoftonline.com/${T2}/v2.0`, tid: T1 }, 'iss'],
      // Not the provider's issuer at all: `iss`, whatever tenant the token claims (a user of an
      // organisation not allowed would be told so, where trying again cannot help).
      [{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T2 }, 'iss'],
      [{ iss: `https://evil.example/${T2}/v2.0`, tid: T2 }, 'iss'],
      [{ iss: 'https://login.microsoftonline.com/{tenantid}/v2.0', tid: T1 }, 'iss'],
      // No tenant id to resolve the template with: a malformed token, not an organisation refused.
      [{ iss: `https://login.microsoftonline.com/${T1}/v2.0` }, 'iss'],
      [{ iss: 'https://login.microsoftonline.com/contoso/v2.0', tid: 'contoso' }, 'iss'],
    ],
  },
  {
    name: 'multi-tenant organizations with ALLOWED_TENANTS=*',
    authority: 'https://login.microsoftonline.com/organizations/v2.0',
    discovery: 'https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration',
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    allowed: '*',
    kind: 'entra',
    accepts: [
      { iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 },
      { iss: `https://login.microsoftonline.com/${T2}/v2.0`, tid: T2 },
    ],
    refuses: [[{ iss: `https://evil.example/${T2}/v2.0`, tid: T2 }, 'iss']],
  },
  {
    name: 'consumers (personal Microsoft accounts: one fixed tenant)',
    authority: 'https://login.microsoftonline.com/consumers',
    discovery: 'https://login.microsoftonline.com/consumers/v2.0/.well-known/openid-configuration',
    issuer: `https://login.microsoftonline.com/${MSA}/v2.0`,
    kind: 'entra',
    accepts: [{ iss: `https://login.microsoftonline.com/${MSA}/v2.0`, tid: MSA }],
    refuses: [[{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }, 'iss']],
  },
  {
    name: 'Entra External ID (ciamlogin.com)',
    authority: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com',
    discovery: 'https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration',
    issuer: `https://${T1}.ciamlogin.com/${T1}/v2.0`,
    kind: 'entra-external-id',
    accepts: [{ iss: `https://${T1}.ciamlogin.com/${T1}/v2.0`, tid: T1 }],
    refuses: [[{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }, 'iss']],
  },
  {
    name: 'Azure AD B2C (b2clogin.com, user flow in the path)',
    authority: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin',
    discovery: 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin/v2.0/.well-known/openid-configuration',
    issuer: `https://contoso.b2clogin.com/${T1}/v2.0/`,
    kind: 'azure-ad-b2c',
    accepts: [{ iss: `https://contoso.b2clogin.com/${T1}/v2.0/` }],
    refuses: [[{ iss: `https://contoso.b2clogin.com/${T1}/v2.0` }, 'iss']],
  },
  {
    name: 'US Government cloud',
    authority: `https://login.microsoftonline.us/${T1}`,
    discovery: `https://login.microsoftonline.us/${T1}/v2.0/.well-known/openid-configuration`,
    issuer: `https://login.microsoftonline.us/${T1}/v2.0`,
    kind: 'entra',
    accepts: [{ iss: `https://login.microsoftonline.us/${T1}/v2.0`, tid: T1 }],
    refuses: [[{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }, 'iss']],
  },
  {
    name: 'China cloud (21Vianet)',
    authority: `https://login.partner.microsoftonline.cn/${T1}`,
    discovery: `https://login.partner.microsoftonline.cn/${T1}/v2.0/.well-known/openid-configuration`,
    issuer: `https://login.partner.microsoftonline.cn/${T1}/v2.0`,
    kind: 'entra',
    accepts: [{ iss: `https://login.partner.microsoftonline.cn/${T1}/v2.0`, tid: T1 }],
    refuses: [[{ iss: `https://login.microsoftonline.us/${T1}/v2.0`, tid: T1 }, 'iss']],
  },
  {
    name: 'an alias host of the global cloud (login.microsoft.com publishes login.microsoftonline.com)',
    authority: `https://login.microsoft.com/${T1}`,
    discovery: `https://login.microsoft.com/${T1}/v2.0/.well-known/openid-configuration`,
    issuer: `https://login.microsoftonline.com/${T1}/v2.0`,
    kind: 'entra',
    accepts: [{ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 }],
    refuses: [[{ iss: `https://login.microsoft.com/${T1}/v2.0`, tid: T1 }, 'iss']],
  },
  {
    name: 'any other OpenID provider (issuer = AUTHORITY)',
    authority: 'https://keycloak.example/realms/demo',
    discovery: 'https://keycloak.example/realms/demo/.well-known/openid-configuration',
    issuer: 'https://keycloak.example/realms/demo',
    kind: 'generic',
    accepts: [{ iss: 'https://keycloak.example/realms/demo' }],
    refuses: [[{ iss: 'https://keycloak.example/realms/other' }, 'iss']],
  },
];

describe('authority shapes: AUTHORITY, the issuer its discovery publishes, and the rule for tokens', () => {
  for (const shape of SHAPES) {
    describe(shape.name, () => {
      it(`reads discovery at ${shape.discovery}`, () => {
        expect(discoveryUrl(shape.authority)).to.equal(shape.discovery);
        expect(describeAuthority(shape.authority).kind).to.equal(shape.kind);
        expect(describeAuthority(shape.authority).microsoft, 'MSAL protocol mode AAD').to.equal(shape.kind !== 'generic');
      });

      it(`accepts tokens issued by ${shape.issuer} and refuses others`, () => {
        const issuerRule = rule(shape.authority, shape.issuer, shape.allowed);
        for (const token of shape.accepts) expect(issuerRule.refusal(token), JSON.stringify(token)).to.equal(undefined);
        for (const [token, reason] of shape.refuses) expect(issuerRule.refusal(token), JSON.stringify(token)).to.equal(reason);
      });
    });
  }

  it('with ALLOWED_TENANTS, refuses a token of another tenant even from a fixed issuer', () => {
    const issuerRule = rule(`https://login.microsoftonline.com/${T1}`, `https://login.microsoftonline.com/${T1}/v2.0`, [T2]);
    expect(issuerRule.refusal({ iss: `https://login.microsoftonline.com/${T1}/v2.0`, tid: T1 })).to.equal('tid');
  });

  it('trusts a front-channel iss of an allowed tenant only, for a templated issuer', () => {
    const issuerRule = rule('https://login.microsoftonline.com/common', 'https://login.microsoftonline.com/{tenantid}/v2.0', [T1]);
    expect(issuerRule.trusts(`https://login.microsoftonline.com/${T1}/v2.0`)).to.equal(true);
    expect(issuerRule.trusts(`https://login.microsoftonline.com/${T2}/v2.0`)).to.equal(false);
    expect(issuerRule.trusts('https://login.microsoftonline.com/{tenantid}/v2.0')).to.equal(false);
    expect(issuerRule.trusts(`https://evil.example/${T1}/v2.0`)).to.equal(false);
  });

  describe('a discovery issuer that does not fit AUTHORITY stops the app, naming both values', () => {
    const cases: Array<[string, string, string]> = [
      ['another tenant', `https://login.microsoftonline.com/${T1}`, `https://login.microsoftonline.com/${T2}/v2.0`],
      ['a fixed issuer for common', 'https://login.microsoftonline.com/common', `https://login.microsoftonline.com/${T1}/v2.0`],
      ['a templated issuer for a single tenant', `https://login.microsoftonline.com/${T1}`, 'https://login.microsoftonline.com/{tenantid}/v2.0'],
      ['another cloud', `https://login.microsoftonline.us/${T1}`, `https://login.microsoftonline.com/${T1}/v2.0`],
      ['another host for B2C', 'https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_susi', `https://evil.b2clogin.com/${T1}/v2.0/`],
      ['another issuer for a generic provider', 'https://keycloak.example/realms/demo', 'https://keycloak.example/realms/other'],
      ['an http issuer', 'https://keycloak.example/realms/demo', 'http://keycloak.example/realms/demo'],
    ];
    for (const [what, authority, issuer] of cases) {
      it(`refuses ${what}`, () => {
        const message = mismatch(authority, issuer);
        expect(message).to.contain(issuer);
        expect(message).to.contain(new URL(authority).host);
      });
    }
  });
});
