import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import nock from 'nock';

/**
 * Microsoft Entra ID's discovery and token endpoints, faked with nock: Entra-shaped token
 * responses (`client_info`, id_token with `oid`, `tid`, `sid`, `login_hint`), PKCE and nonce
 * carried from the sign-in, refresh tokens that can be revoked, and refreshes that can be held
 * open to race a sign-out. MSAL only decodes id tokens, so they are unsigned here.
 */
export interface FakeUser {
  readonly oid: string;
  readonly username: string;
  readonly name: string;
}

interface Grant {
  readonly user: FakeUser;
  readonly sid: string;
  readonly nonce?: string;
  readonly codeChallenge?: string;
}

export const ENTRA_HOST = 'https://login.microsoftonline.com';

export class FakeEntra {
  readonly tenantId: string;
  readonly clientId: string;
  readonly authority: string;
  readonly issuer: string;
  accessTokenLifetimeSeconds = 3600;
  /** When set, token responses carry `refresh_in` (Entra's hint to refresh before expiry). */
  refreshInSeconds: number | undefined;
  /** Number of token endpoint calls by grant type. */
  readonly calls = { authorization_code: 0, refresh_token: 0 };
  private readonly codes = new Map<string, Grant & { scopes: string }>();
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly held: Array<() => void> = [];
  private holdRefreshes = false;
  private counter = 0;

  constructor(options: { tenantId?: string; clientId?: string } = {}) {
    this.tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
    this.clientId = options.clientId ?? '11111111-2222-3333-4444-555555555555';
    this.authority = `${ENTRA_HOST}/${this.tenantId}`;
    this.issuer = `${ENTRA_HOST}/${this.tenantId}/v2.0`;
  }

  /** Registers the interceptors; remove them with `nock.cleanAll()`. */
  install(): this {
    const base = `/${this.tenantId}`;
    nock(ENTRA_HOST).persist().get(`${base}/v2.0/.well-known/openid-configuration`).reply(200, () => this.discovery());
    nock(ENTRA_HOST)
      .persist()
      .get(`${base}/discovery/v2.0/keys`)
      .reply(async () => [200, { keys: [(await signingKey()).publicJwk] }]);
    nock(ENTRA_HOST)
      .persist()
      .post(`${base}/oauth2/v2.0/token`)
      .query(true)
      // nock 15 hands a reply function the fetch Request itself.
      .reply(async (request: unknown) => {
        const form = new URLSearchParams(await (request as Request).text());
        if (form.get('grant_type') === 'refresh_token' && this.holdRefreshes) {
          await new Promise<void>((resolve) => this.held.push(resolve));
        }
        return this.token(form);
      });
    return this;
  }

  discovery() {
    const endpoints = `${ENTRA_HOST}/${this.tenantId}/oauth2/v2.0`;
    return {
      issuer: this.issuer,
      authorization_endpoint: `${endpoints}/authorize`,
      token_endpoint: `${endpoints}/token`,
      end_session_endpoint: `${endpoints}/logout`,
      jwks_uri: `${ENTRA_HOST}/${this.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      frontchannel_logout_supported: true,
      http_logout_supported: true,
    };
  }

  /** What the provider does when the user signs in at the authorization URL: issue a code. */
  authorize(authorizationUrl: string, user: FakeUser, sid: string = randomUUID()): { code: string; state: string } {
    const params = new URL(authorizationUrl).searchParams;
    const code = `code-${++this.counter}-${randomUUID()}`;
    this.codes.set(code, {
      user,
      sid,
      nonce: params.get('nonce') ?? undefined,
      codeChallenge: params.get('code_challenge') ?? undefined,
      scopes: params.get('scope') ?? '',
    });
    return { code, state: params.get('state') ?? '' };
  }

  /** Every refresh token of the user stops working (password reset, admin revocation). */
  revokeRefreshTokens(user: FakeUser): void {
    for (const [token, grant] of this.refreshTokens) if (grant.user.oid === user.oid) this.refreshTokens.delete(token);
  }

  /** Refresh responses wait until `releaseRefreshes()`. */
  holdRefreshResponses(): void {
    this.holdRefreshes = true;
  }

  get heldRefreshes(): number {
    return this.held.length;
  }

  releaseRefreshes(): void {
    this.holdRefreshes = false;
    for (const answer of this.held.splice(0)) answer();
  }

  /**
   * A back-channel logout token as a provider sends it (Entra itself does not), signed with this
   * provider's key unless `signWith` gives another; `claims` override or remove (undefined) fields.
   */
  async logoutToken(claims: Record<string, unknown>, signWith?: CryptoKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.clientId,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      ...claims,
    };
    for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
    const key = await signingKey();
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt', kid: key.publicJwk.kid! })
      .sign(signWith ?? key.privateKey);
  }

  private token(form: URLSearchParams): [number, Record<string, unknown>] {
    if (form.get('client_id') !== this.clientId) return error('invalid_client', 'AADSTS700016: unknown client');
    if (form.get('grant_type') === 'authorization_code') {
      this.calls.authorization_code++;
      const grant = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!grant) return error('invalid_grant', 'AADSTS54005: OAuth2 Authorization code was already redeemed');
      const verifier = form.get('code_verifier') ?? '';
      if (grant.codeChallenge && createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
        return error('invalid_grant', 'AADSTS501481: The Code_Verifier does not match the code_challenge');
      }
      return [200, this.tokenResponse(grant, form.get('scope') ?? grant.scopes)];
    }
    if (form.get('grant_type') === 'refresh_token') {
      this.calls.refresh_token++;
      const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!grant) return error('invalid_grant', 'AADSTS700082: The refresh token has expired or was revoked');
      return [200, this.tokenResponse({ user: grant.user, sid: grant.sid }, form.get('scope') ?? '')];
    }
    return error('unsupported_grant_type', 'AADSTS70003');
  }

  private tokenResponse(grant: Grant, scope: string): Record<string, unknown> {
    const { user, sid } = grant;
    const refreshToken = `rt.${user.oid}.${++this.counter}`;
    this.refreshTokens.set(refreshToken, { user, sid });
    const now = Math.floor(Date.now() / 1000);
    const resourceScopes = scope.split(' ').filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s));
    return {
      token_type: 'Bearer',
      scope: [...resourceScopes, 'openid', 'profile'].join(' '),
      expires_in: this.accessTokenLifetimeSeconds,
      ext_expires_in: this.accessTokenLifetimeSeconds,
      ...(this.refreshInSeconds !== undefined ? { refresh_in: this.refreshInSeconds } : {}),
      access_token: `at.${user.oid}.${++this.counter}`,
      refresh_token: refreshToken,
      id_token: unsignedJwt({
        aud: this.clientId,
        iss: this.issuer,
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.name,
        preferred_username: user.username,
        login_hint: `hint-${user.oid}`,
        oid: user.oid,
        sub: `sub-${user.oid}`,
        tid: this.tenantId,
        sid,
        ver: '2.0',
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      }),
      client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: this.tenantId })).toString('base64url'),
    };
  }
}

let sharedKey: Promise<{ privateKey: CryptoKey; publicJwk: JWK }> | undefined;

/** One RSA key for every FakeEntra of the test run: generating one costs tens of milliseconds. */
function signingKey() {
  sharedKey ??= generateKeyPair('RS256').then(async ({ privateKey, publicKey }) => ({
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid: 'fake-entra-key', alg: 'RS256', use: 'sig' },
  }));
  return sharedKey;
}

/** A key the provider never published, for forged tokens. */
export async function foreignKey(): Promise<CryptoKey> {
  return (await generateKeyPair('RS256')).privateKey;
}

export function fakeUser(name: string, oid: string = randomUUID()): FakeUser {
  return { oid, username: `${name}@contoso.example`, name: name[0]!.toUpperCase() + name.slice(1) };
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${part(claims)}.${Buffer.from('not-verified').toString('base64url')}`;
}

function error(code: string, description: string): [number, Record<string, unknown>] {
  return [400, { error: code, error_description: description, error_codes: [Number(description.match(/\d+/)?.[0] ?? 0)] }];
}
