import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import nock from 'nock';

/**
 * Microsoft Entra ID's discovery and token endpoints, faked with nock: Entra-shaped token
 * responses (`client_info`, id_token with `oid`, `tid`, `sid`, `login_hint`), PKCE and nonce
 * carried from the sign-in, refresh tokens that can be revoked, and refreshes that can be held
 * open to race a sign-out. ID tokens are signed with the key its JWKS publishes; tests that need a
 * misbehaving provider change them with `idTokenClaims` / `idTokenSigner`.
 *
 * `tenant` is the authority's tenant segment: a tenant id (single tenant, the default) or `common` /
 * `organizations`, whose discovery publishes Entra's templated issuer and whose tokens carry the
 * issuer and `tid` of the user's home tenant (`FakeUser.tenantId`).
 */
export interface FakeUser {
  readonly oid: string;
  readonly username: string;
  readonly name: string;
  /** The user's home tenant; defaults to the provider's tenant. */
  readonly tenantId?: string;
}

/** How to sign an ID token instead of with the published key (a forged or misconfigured provider). */
export interface IdTokenSigner {
  readonly key: CryptoKey | Uint8Array;
  readonly alg: string;
  readonly kid?: string;
  /** The header's declared type: `JWT` unless given; null: none. */
  readonly typ?: string | null;
}

interface Grant {
  readonly user: FakeUser;
  readonly sid: string;
  /** Refresh tokens descending from one sign-in (one code redemption). */
  readonly family?: string;
  readonly nonce?: string;
  readonly codeChallenge?: string;
}

export const ENTRA_HOST = 'https://login.microsoftonline.com';

export class FakeEntra {
  /** The authority's tenant segment; for `common`, the tenant of users who name none. */
  readonly tenantId: string;
  readonly tenant: string;
  readonly clientId: string;
  readonly authority: string;
  /** What discovery publishes: a fixed issuer, or the `{tenantid}` template for `common`. */
  readonly issuer: string;
  accessTokenLifetimeSeconds = 3600;
  /** Changes the claims of the next ID tokens (after the defaults and the nonce are set). */
  idTokenClaims: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** Signs the next ID tokens with another key or algorithm. */
  idTokenSigner: IdTokenSigner | undefined;
  /**
   * Rotate refresh tokens and treat the reuse of a consumed one as theft, revoking its whole family
   * (as Auth0, Okta and Keycloak can): two concurrent refreshes with one token sign the user out.
   */
  rotateRefreshTokens = false;
  readonly #consumed = new Map<string, string>();
  /** Status of the JWKS endpoint: anything but 200 answers without keys (an outage). */
  jwksStatus = 200;
  /**
   * Keys of this app's own (a claims-mapping policy's): as Entra does, listed only at
   * `jwks_uri?appid=<client id>`, beside the tenant's.
   */
  appKeys: JWK[] = [];
  /** The query of every JWKS request, in order. */
  readonly jwksQueries: string[] = [];
  /** Rewrites the token endpoint's answer (status and body) to a request, e.g. a 5xx or a malformed response. */
  tokenAnswer: ((form: URLSearchParams, answer: [number, unknown]) => [number, unknown] | Promise<[number, unknown]>) | undefined;
  /** The `claims` parameter of the last token request (MSAL sends client capabilities there). */
  lastTokenRequestClaims: string | undefined;
  /**
   * Where discovery puts the end-session endpoint, when not beside the others (another host, as some
   * providers do); `null`: discovery has none (Google, an Auth0 tenant without OIDC logout).
   */
  endSessionEndpoint: string | null | undefined;
  /** When set, token responses carry `refresh_in` (Entra's hint to refresh before expiry). */
  refreshInSeconds: number | undefined;
  /**
   * Serve RFC 7009 revocation at `<tenant>/oauth2/v2.0/revoke` and advertise it in discovery (Entra
   * has none; most other providers do). Set before the app first reads discovery.
   */
  revocation = false;
  /**
   * Promise `iss` in every authorization response (RFC 9207's `authorization_response_iss_parameter_supported`
   * in discovery), as oidc-provider does; Entra's discovery does not. Set before the app first reads discovery.
   */
  namesItselfInResponses = false;
  /** What the revocation endpoint answers (200 revokes); `revocationDelayMs` holds the answer back. */
  revocationStatus = 200;
  revocationDelayMs = 0;
  /** Every revocation request's form, as received (token, token_type_hint, client_id, client_secret). */
  readonly revocationRequests: Record<string, string>[] = [];
  /** Number of token endpoint calls by grant type. */
  readonly calls = { authorization_code: 0, refresh_token: 0 };
  /** Every ID token the token endpoint issued, oldest first (what a sign-out's `id_token_hint` must be). */
  readonly issuedIdTokens: string[] = [];
  readonly #codes = new Map<string, Grant & { scopes: string }>();
  readonly #refreshTokens = new Map<string, Grant>();
  readonly #held: Array<() => void> = [];
  #holdRefreshes = false;
  #counter = 0;

  constructor(options: { tenantId?: string; clientId?: string; tenant?: string } = {}) {
    this.tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
    this.tenant = options.tenant ?? this.tenantId;
    this.clientId = options.clientId ?? '11111111-2222-3333-4444-555555555555';
    this.authority = `${ENTRA_HOST}/${this.tenant}`;
    this.issuer = `${ENTRA_HOST}/${this.multiTenant ? '{tenantid}' : this.tenantId}/v2.0`;
  }

  get multiTenant(): boolean {
    return this.tenant === 'common' || this.tenant === 'organizations';
  }

  /** The issuer of tokens for a user of `tenantId`. */
  issuerFor(tenantId: string = this.tenantId): string {
    return `${ENTRA_HOST}/${tenantId}/v2.0`;
  }

  /** Registers the interceptors; remove them with `nock.cleanAll()`. */
  install(): this {
    const base = `/${this.tenant}`;
    nock(ENTRA_HOST).persist().get(`${base}/v2.0/.well-known/openid-configuration`).reply(200, () => this.discovery());
    nock(ENTRA_HOST)
      .persist()
      .get(`${base}/discovery/v2.0/keys`)
      .query(true)
      // nock 15 hands a reply function the fetch Request itself.
      .reply(async (request: unknown) => {
        const query = new URL((request as Request).url).search;
        this.jwksQueries.push(query);
        if (this.jwksStatus !== 200) return [this.jwksStatus, 'unavailable'];
        const forThisApp = new URLSearchParams(query).get('appid') === this.clientId;
        return [200, { keys: [(await signingKey()).publicJwk, ...(forThisApp ? this.appKeys : [])] }];
      });
    nock(ENTRA_HOST)
      .persist()
      .post(`${base}/oauth2/v2.0/token`)
      .query(true)
      // nock 15 hands a reply function the fetch Request itself.
      .reply(async (request: unknown) => {
        const form = new URLSearchParams(await (request as Request).text());
        this.lastTokenRequestClaims = form.get('claims') ?? undefined;
        if (form.get('grant_type') === 'refresh_token' && this.#holdRefreshes) {
          await new Promise<void>((resolve) => this.#held.push(resolve));
        }
        const answer = (await this.#token(form)) as [number, unknown];
        return this.tokenAnswer ? this.tokenAnswer(form, answer) : answer;
      });
    nock(ENTRA_HOST)
      .persist()
      .post(`${base}/oauth2/v2.0/revoke`)
      .reply(async (request: unknown) => {
        const form = Object.fromEntries(new URLSearchParams(await (request as Request).text()));
        this.revocationRequests.push(form);
        if (this.revocationDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.revocationDelayMs));
        if (this.revocationStatus !== 200) return [this.revocationStatus, { error: 'temporarily_unavailable' }];
        if (form.client_id !== this.clientId || form.client_secret !== 'test-secret') return [401, { error: 'invalid_client' }];
        this.#refreshTokens.delete(form.token ?? ''); // RFC 7009: an unknown token is a 200 too
        return [200, ''];
      });
    return this;
  }

  /** What the token endpoint answers a refresh with `refreshToken`: `ok` or its error code. */
  async redeemRefreshToken(refreshToken: string): Promise<string> {
    const [status, body] = await this.#token(new URLSearchParams({ client_id: this.clientId, grant_type: 'refresh_token', refresh_token: refreshToken }));
    return status === 200 ? 'ok' : String(body.error);
  }

  discovery() {
    const endpoints = `${ENTRA_HOST}/${this.tenant}/oauth2/v2.0`;
    return {
      issuer: this.issuer,
      authorization_endpoint: `${endpoints}/authorize`,
      token_endpoint: `${endpoints}/token`,
      ...(this.endSessionEndpoint === null ? {} : { end_session_endpoint: this.endSessionEndpoint ?? `${endpoints}/logout` }),
      jwks_uri: `${ENTRA_HOST}/${this.tenant}/discovery/v2.0/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      frontchannel_logout_supported: true,
      http_logout_supported: true,
      ...(this.revocation ? { revocation_endpoint: `${endpoints}/revoke` } : {}),
      ...(this.namesItselfInResponses ? { authorization_response_iss_parameter_supported: true } : {}),
    };
  }

  /** What the provider does when the user signs in at the authorization URL: issue a code. */
  authorize(authorizationUrl: string, user: FakeUser, sid: string = randomUUID()): { code: string; state: string } {
    const params = new URL(authorizationUrl).searchParams;
    const code = `code-${++this.#counter}-${randomUUID()}`;
    this.#codes.set(code, {
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
    for (const [token, grant] of this.#refreshTokens) if (grant.user.oid === user.oid) this.#refreshTokens.delete(token);
  }

  /** Refresh responses wait until `releaseRefreshes()`. */
  holdRefreshResponses(): void {
    this.#holdRefreshes = true;
  }

  get heldRefreshes(): number {
    return this.#held.length;
  }

  releaseRefreshes(): void {
    this.#holdRefreshes = false;
    for (const answer of this.#held.splice(0)) answer();
  }

  /**
   * A back-channel logout token as a provider sends it (Entra itself does not), signed with this
   * provider's key unless `signWith` gives another; `claims` override or remove (undefined) fields;
   * `typ` is the header's declared type (`logout+jwt` unless given; null: none).
   */
  async logoutToken(claims: Record<string, unknown>, signWith?: CryptoKey, typ: string | null = 'logout+jwt'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: this.issuerFor(),
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
      .setProtectedHeader({ alg: 'RS256', kid: key.publicJwk.kid!, ...(typ === null ? {} : { typ }) })
      .sign(signWith ?? key.privateKey);
  }

  async #token(form: URLSearchParams): Promise<[number, Record<string, unknown>]> {
    if (form.get('client_id') !== this.clientId) return error('invalid_client', 'AADSTS700016: unknown client');
    if (form.get('grant_type') === 'authorization_code') {
      this.calls.authorization_code++;
      const grant = this.#codes.get(form.get('code') ?? '');
      this.#codes.delete(form.get('code') ?? '');
      if (!grant) return error('invalid_grant', 'AADSTS54005: OAuth2 Authorization code was already redeemed');
      const verifier = form.get('code_verifier') ?? '';
      if (grant.codeChallenge && createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
        return error('invalid_grant', 'AADSTS501481: The Code_Verifier does not match the code_challenge');
      }
      return [200, await this.#tokenResponse(grant, form.get('scope') ?? grant.scopes)];
    }
    if (form.get('grant_type') === 'refresh_token') {
      this.calls.refresh_token++;
      const presented = form.get('refresh_token') ?? '';
      const reusedFamily = this.#consumed.get(presented);
      if (reusedFamily !== undefined) {
        for (const [token, grant] of this.#refreshTokens) if (grant.family === reusedFamily) this.#refreshTokens.delete(token);
        return error('invalid_grant', 'AADSTS70000: refresh token reuse detected, the token family is revoked');
      }
      const grant = this.#refreshTokens.get(presented);
      if (!grant) return error('invalid_grant', 'AADSTS700082: The refresh token has expired or was revoked');
      if (this.rotateRefreshTokens) {
        this.#refreshTokens.delete(presented);
        this.#consumed.set(presented, grant.family ?? presented);
      }
      return [200, await this.#tokenResponse({ user: grant.user, sid: grant.sid, family: grant.family }, form.get('scope') ?? '')];
    }
    return error('unsupported_grant_type', 'AADSTS70003');
  }

  async #tokenResponse(grant: Grant, scope: string): Promise<Record<string, unknown>> {
    const { user, sid } = grant;
    const tid = user.tenantId ?? this.tenantId;
    const family = grant.family ?? `family-${++this.#counter}`;
    const refreshToken = `rt.${user.oid}.${++this.#counter}`;
    this.#refreshTokens.set(refreshToken, { user, sid, family });
    const now = Math.floor(Date.now() / 1000);
    const resourceScopes = scope.split(' ').filter((s) => s && !['openid', 'profile', 'offline_access', 'email'].includes(s));
    return {
      token_type: 'Bearer',
      scope: [...resourceScopes, 'openid', 'profile'].join(' '),
      expires_in: this.accessTokenLifetimeSeconds,
      ext_expires_in: this.accessTokenLifetimeSeconds,
      ...(this.refreshInSeconds !== undefined ? { refresh_in: this.refreshInSeconds } : {}),
      access_token: `at.${user.oid}.${++this.#counter}`,
      refresh_token: refreshToken,
      id_token: await this.#idToken({
        aud: this.clientId,
        iss: this.issuerFor(tid),
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.name,
        preferred_username: user.username,
        login_hint: `hint-${user.oid}`,
        oid: user.oid,
        sub: `sub-${user.oid}`,
        tid,
        sid,
        ver: '2.0',
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
      }),
      client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: tid })).toString('base64url'),
    };
  }

  async #idToken(defaults: Record<string, unknown>): Promise<string> {
    const claims = this.idTokenClaims ? this.idTokenClaims({ ...defaults }) : defaults;
    for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
    const published = await signingKey();
    const signer = this.idTokenSigner ?? { key: published.privateKey, alg: 'RS256', kid: published.publicJwk.kid };
    if (signer.alg === 'none') {
      // An unsecured JWT (RFC 7519 §6): jose will not make one, a broken provider could.
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return this.#issued(`${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`);
    }
    return this.#issued(
      await new SignJWT(claims)
        .setProtectedHeader({ alg: signer.alg, ...(signer.typ === null ? {} : { typ: signer.typ ?? 'JWT' }), ...(signer.kid ? { kid: signer.kid } : {}) })
        .sign(signer.key),
    );
  }

  #issued(idToken: string): string {
    this.issuedIdTokens.push(idToken);
    return idToken;
  }
}

let sharedKey: Promise<{ privateKey: CryptoKey; publicJwk: JWK }> | undefined;

/** One RSA key for every FakeEntra of the test run: generating one costs tens of milliseconds. */
function signingKey() {
  sharedKey ??= generateKeyPair('RS256', { extractable: true }).then(async ({ privateKey, publicKey }) => ({
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid: 'fake-entra-key', alg: 'RS256', use: 'sig' },
  }));
  return sharedKey;
}

/**
 * The private half of the key the fake provider publishes, for signing with `alg` (another RSA
 * algorithm than the advertised RS256: the same key material, a token the JWKS key would verify).
 */
export async function publishedKey(alg: string): Promise<CryptoKey> {
  return (await importJWK(await exportJWK((await signingKey()).privateKey), alg)) as CryptoKey;
}

/** A key the provider never published, for forged tokens. */
export async function foreignKey(): Promise<CryptoKey> {
  return (await generateKeyPair('RS256')).privateKey;
}

export function fakeUser(name: string, oid: string = randomUUID(), tenantId?: string): FakeUser {
  return { oid, username: `${name}@contoso.example`, name: name[0]!.toUpperCase() + name.slice(1), ...(tenantId ? { tenantId } : {}) };
}

function error(code: string, description: string): [number, Record<string, unknown>] {
  return [400, { error: code, error_description: description, error_codes: [Number(description.match(/\d+/)?.[0] ?? 0)] }];
}
