import { expect } from 'chai';
import { decodeJwt } from 'jose';
import nock from 'nock';
import { MemoryTokenStore } from '../../src/adapters/memory/memory-token-store.ts';
import { IdentityProviderUnavailable, InteractionRequired, SignInFailed, SignInRejected, SignInUnverified, StoreUnavailable, TenantNotAllowed } from '../../src/domain/errors.ts';
import { codeChallengeS256 } from '../../src/adapters/msal/sign-in-checks.ts';
import { ENTRA_HOST, FakeEntra, fakeUser, foreignKey } from '../support/fake-entra.ts';
import { blockNetwork, GRAPH_SCOPES, msalIdentityProvider, signInThroughMsal } from '../support/msal-harness.ts';

describe('MSAL identity provider against Entra-shaped endpoints', () => {
  let entra: FakeEntra;
  let store: MemoryTokenStore;
  let warnings: string[];
  let idp: ReturnType<typeof msalIdentityProvider>;
  const alice = fakeUser('alice', 'aaaaaaaa-0000-0000-0000-000000000001');
  const bob = fakeUser('bob', 'bbbbbbbb-0000-0000-0000-000000000002');

  beforeEach(() => {
    blockNetwork();
    entra = new FakeEntra().install();
    store = new MemoryTokenStore();
    warnings = [];
    idp = msalIdentityProvider(entra, store, warnings);
  });
  afterEach(() => nock.cleanAll());

  it('builds an authorization URL with PKCE S256, state, nonce and the scopes, and keeps the checks for the callback', async () => {
    const { authorizationUrl, checks } = await idp.startSignIn({ scopes: GRAPH_SCOPES });
    const url = new URL(authorizationUrl);
    expect(url.origin + url.pathname).to.equal(`${entra.authority}/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('code_challenge')).to.equal(codeChallengeS256(checks.codeVerifier!));
    expect(url.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(url.searchParams.get('state')).to.equal(checks.state);
    expect(url.searchParams.get('nonce')).to.equal(checks.nonce);
    expect(url.searchParams.has('code_verifier'), 'the verifier never leaves the app').to.equal(false);
    const other = await idp.startSignIn({ scopes: GRAPH_SCOPES });
    for (const name of ['state', 'nonce', 'codeVerifier']) expect(other.checks[name], name).to.not.equal(checks[name]);
    expect(checks.state).to.have.length.at.least(43);
    expect(url.searchParams.get('response_mode')).to.equal('query');
    expect(url.searchParams.get('scope')!.split(' ')).to.include.members(['User.Read', 'openid', 'offline_access']);
  });

  it('redeems a code into a partition keyed by the Entra home account id <oid>.<tid>', async () => {
    const account = await signInThroughMsal(idp, entra, alice, 'sid-alice');
    expect(account).to.include({
      accountId: `${alice.oid}.${entra.tenantId}`,
      subject: `sub-${alice.oid}`,
      sid: 'sid-alice',
      username: alice.username,
      name: alice.name,
      loginHint: `hint-${alice.oid}`,
    });
    const partition = await store.read(account.accountId);
    expect(partition, 'partition written').to.not.equal(undefined);
    expect(Object.keys(JSON.parse(partition!.data).RefreshToken)).to.have.length(1);
  });

  it('rejects a code redeemed with the wrong PKCE verifier (an intercepted code)', async () => {
    const { authorizationUrl, checks } = await idp.startSignIn({ scopes: GRAPH_SCOPES });
    const { code, state } = entra.authorize(authorizationUrl, alice);
    const error = await idp
      .completeSignIn({ ...checks, codeVerifier: 'wrong' }, { code, state }, GRAPH_SCOPES)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SignInFailed).with.property('providerError', 'invalid_grant');
    expect(error, 'said over TLS by the provider').to.have.property('heardFrom', 'token endpoint');
  });

  describe('a token endpoint that fails at code redemption: the right error, and nothing stored', () => {
    const redeem = async () => {
      const { authorizationUrl, checks } = await idp.startSignIn({ scopes: GRAPH_SCOPES });
      const { code, state } = entra.authorize(authorizationUrl, alice);
      const error = await idp.completeSignIn(checks, { code, state }, GRAPH_SCOPES).catch((e: unknown) => e);
      expect(await store.read(`${alice.oid}.${entra.tenantId}`), 'nothing stored').to.equal(undefined);
      return error;
    };
    const answering = (status: number, body: unknown) => (form: URLSearchParams, answer: [number, unknown]) =>
      form.get('grant_type') === 'authorization_code' ? ([status, body] as [number, unknown]) : answer;

    for (const [status, code] of [[500, 'server_error'], [503, 'temporarily_unavailable']] as const) {
      it(`${status} ${code} is the provider unavailable (503, try again), not a failed sign-in`, async () => {
        entra.tokenAnswer = answering(status, { error: code, error_description: 'AADSTS90033: a transient error' });
        expect(await redeem()).to.be.instanceOf(IdentityProviderUnavailable);
      });
    }

    for (const status of [500, 502, 503, 404]) {
      it(`${status} with a body that is no OAuth error (a gateway's) is the provider unavailable, not a refused sign-in`, async () => {
        entra.tokenAnswer = answering(status, { message: 'Service Unavailable' });
        const error = await redeem();
        expect(error).to.be.instanceOf(IdentityProviderUnavailable);
        // What the log shows (the error's causes): what the provider did, not MSAL's bare network_error.
        expect(causeMessages(error).join(' / ')).to.contain(`answered ${status} without an OAuth error`);
        expect(warnings.filter((line) => line.startsWith('sign-in refused')), 'no refusal logged').to.deep.equal([]);
      });
    }

    it("invalid_client (this app's secret refused) is not the user's failed sign-in", async () => {
      entra.tokenAnswer = answering(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
      expect(await redeem()).to.be.instanceOf(IdentityProviderUnavailable);
    });

    it('a response without access_token (RFC 6749 §5.1: required) is the provider failing, and stores nothing', async () => {
      entra.tokenAnswer = (form, [status, body]) => {
        if (form.get('grant_type') !== 'authorization_code') return [status, body];
        const { access_token: _dropped, ...rest } = body as Record<string, unknown>;
        return [status, rest];
      };
      expect(await redeem()).to.be.instanceOf(IdentityProviderUnavailable);
    });

    for (const tokenType of ['mac', 'DPoP', undefined]) {
      it(`a token of type ${tokenType ?? 'none'} (not Bearer: RFC 6749 §5.1, OpenID Connect Core §3.1.3.3) is the provider failing, and stores nothing`, async () => {
        entra.tokenAnswer = (form, [status, body]) =>
          form.get('grant_type') === 'authorization_code' ? [status, withTokenType(body, tokenType)] : [status, body];
        const error = await redeem();
        expect(error).to.be.instanceOf(IdentityProviderUnavailable);
        const told = causeMessages(error).join(' / ');
        expect(told, 'what is logged names the type').to.contain(`a token of type ${tokenType ? `"${tokenType}"` : 'none'}, not Bearer`);
        expect(told, 'never the token').to.not.contain(`at.${alice.oid}`);
      });
    }

    it('a code redeemed without an ID token (OpenID Connect Core §3.1.3.3: required) is the provider failing, not a refused sign-in', async () => {
      entra.tokenAnswer = (form, [status, body]) => {
        if (form.get('grant_type') !== 'authorization_code') return [status, body];
        const { id_token: _dropped, ...rest } = body as Record<string, unknown>;
        return [status, rest];
      };
      const error = await redeem();
      expect(error).to.be.instanceOf(IdentityProviderUnavailable);
      expect(causeMessages(error).join(' / ')).to.contain('redeemed the code without an ID token');
      expect(warnings.filter((line) => line.startsWith('sign-in refused')), 'not logged as a refused token').to.deep.equal([]);
    });

    it("takes token_type case-insensitively (RFC 6749 §5.1): Entra's ADFS sends 'bearer'", async () => {
      entra.tokenAnswer = (form, [status, body]) =>
        form.get('grant_type') === 'authorization_code' ? [status, withTokenType(body, 'bearer')] : [status, body];
      const account = await signInThroughMsal(idp, entra, alice);
      expect(await store.read(account.accountId)).to.not.equal(undefined);
    });

    it('an ID token MSAL cannot decode is a refused token (malformed), with its log line', async () => {
      entra.tokenAnswer = (form, [status, body]) =>
        form.get('grant_type') === 'authorization_code' ? [status, { ...(body as object), id_token: 'a.b.c' }] : [status, body];
      const error = await redeem();
      expect(error).to.be.instanceOf(SignInUnverified).with.property('rule', 'malformed');
      expect(warnings).to.include('sign-in refused: id token failed a check {"rule":"malformed"}');
    });

    for (const payload of ['null', '[]', '"alice"']) {
      it(`an ID token whose payload is JSON but no object (${payload}) is malformed, not a nonce mismatch`, async () => {
        const segment = Buffer.from(payload).toString('base64url');
        entra.tokenAnswer = (form, [status, body]) =>
          form.get('grant_type') === 'authorization_code' ? [status, { ...(body as object), id_token: `eyJhbGciOiJSUzI1NiJ9.${segment}.c2ln` }] : [status, body];
        const error = await redeem();
        expect(error).to.be.instanceOf(SignInUnverified).with.property('rule', 'malformed');
        expect(warnings.filter((line) => line.startsWith('sign-in refused'))).to.deep.equal(['sign-in refused: id token failed a check {"rule":"malformed"}']);
        expect(await store.read(`${alice.oid}.${entra.tenantId}`), 'nothing stored').to.equal(undefined);
      });
    }
  });

  it('rejects an id token whose nonce is not the one sent', async () => {
    const { authorizationUrl, checks } = await idp.startSignIn({ scopes: GRAPH_SCOPES });
    const { code, state } = entra.authorize(authorizationUrl, alice);
    const error = await idp.completeSignIn({ ...checks, nonce: 'other' }, { code, state }, GRAPH_SCOPES).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SignInUnverified).with.property('rule', 'nonce');
    expect(await store.read(`${alice.oid}.${entra.tenantId}`)).to.equal(undefined);
  });

  it('refuses a callback of another sign-in (state) before redeeming anything, even one carrying a provider error', async () => {
    const { authorizationUrl, checks } = await idp.startSignIn({ scopes: GRAPH_SCOPES });
    const { code } = entra.authorize(authorizationUrl, alice);
    for (const callback of [{ code, state: 'forged' }, { code }, { error: 'access_denied', state: 'forged' }]) {
      const error = await idp.completeSignIn(checks, callback, GRAPH_SCOPES).catch((e: unknown) => e);
      expect(error, JSON.stringify(callback)).to.be.instanceOf(SignInRejected);
    }
    expect(entra.calls.authorization_code).to.equal(0);
  });

  it('reports the provider error of its own callback, and refuses a callback without a code', async () => {
    const { checks } = await idp.startSignIn({ scopes: GRAPH_SCOPES });
    const denied = await idp.completeSignIn(checks, { error: 'access_denied', state: checks.state }, GRAPH_SCOPES).catch((e: unknown) => e);
    expect(denied).to.be.instanceOf(SignInFailed).with.property('providerError', 'access_denied');
    expect(denied, 'a redirect anyone with the state can write').to.have.property('heardFrom', 'authorization response');
    const noCode = await idp.completeSignIn(checks, { state: checks.state }, GRAPH_SCOPES).catch((e: unknown) => e);
    expect(noCode).to.be.instanceOf(SignInRejected);
  });

  it('answers silently from the cached partition without calling the provider', async () => {
    const account = await signInThroughMsal(idp, entra, alice);
    const before = await store.read(account.accountId);
    const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
    expect(token.token).to.match(new RegExp(`^at\\.${alice.oid}\\.`));
    expect(entra.calls.refresh_token).to.equal(0);
    expect((await store.read(account.accountId))!.version, 'nothing rewritten').to.equal(before!.version);
  });

  it('refreshes an expired access token and stores the new one', async () => {
    entra.accessTokenLifetimeSeconds = 60; // inside MSAL's 5-minute renewal margin: expired at once
    const account = await signInThroughMsal(idp, entra, alice);
    const first = await store.read(account.accountId);
    const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
    expect(entra.calls.refresh_token).to.equal(1);
    expect(token.token).to.match(new RegExp(`^at\\.${alice.oid}\\.`));
    const after = await store.read(account.accountId);
    expect(after!.version).to.not.equal(first!.version);
    expect(after!.data).to.contain(token.token);
  });

  describe('a token past its refresh_on (still valid)', () => {
    const waitForCondition = async (condition: () => boolean | Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    /** Signs alice in, then moves her access token's refresh_on into the past (as time would). */
    const signInPastRefreshOn = async () => {
      entra.refreshInSeconds = 600;
      const account = await signInThroughMsal(idp, entra, alice);
      const partition = (await store.read(account.accountId))!;
      const cache = JSON.parse(partition.data) as { AccessToken: Record<string, { refresh_on?: string }> };
      for (const token of Object.values(cache.AccessToken)) token.refresh_on = String(Math.floor(Date.now() / 1000) - 10);
      await store.write(account.accountId, JSON.stringify(cache));
      return account;
    };

    it('is served at once while one refresh runs behind it, and the next request gets the refreshed token', async () => {
      const account = await signInPastRefreshOn();
      const first = (await store.read(account.accountId))!;
      entra.holdRefreshResponses(); // the provider answers only when told to

      const served = await Promise.all([1, 2, 3].map(() => idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES })));

      expect(new Set(served.map((token) => token.token)).size, 'the same cached token, without waiting').to.equal(1);
      expect(first.data).to.contain(served[0]!.token);
      entra.releaseRefreshes();
      await waitForCondition(async () => (await store.read(account.accountId))!.version !== first.version);
      expect(entra.calls.refresh_token, 'one refresh for the three requests').to.equal(1);
      const next = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
      expect(next.token).to.not.equal(served[0]!.token);
    });

    it('is still served while the provider fails, which is not asked again at each request (background-refreshes.test.ts: after 30 s), with a warning', async () => {
      const account = await signInPastRefreshOn();
      entra.tokenAnswer = (form, answer) => (form.get('grant_type') === 'refresh_token' ? [503, 'unavailable'] : answer);

      const first = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
      await waitForCondition(() => warnings.some((line) => line.startsWith('background token refresh failed')));
      const second = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });

      expect(second.token).to.equal(first.token);
      expect(entra.calls.refresh_token, 'not once per request').to.equal(1);
      expect(warnings.filter((line) => line.startsWith('background token refresh failed'))).to.have.length(1);
    });
  });

  it('refuses a refresh answered with a token that is not Bearer, and keeps the partition as it was', async () => {
    entra.accessTokenLifetimeSeconds = 60;
    const account = await signInThroughMsal(idp, entra, alice);
    const before = await store.read(account.accountId);
    entra.tokenAnswer = (form, [status, body]) => (form.get('grant_type') === 'refresh_token' ? [status, withTokenType(body, 'mac')] : [status, body]);
    const error = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IdentityProviderUnavailable);
    expect(entra.calls.refresh_token).to.equal(1);
    expect(await store.read(account.accountId)).to.deep.equal(before);
  });

  for (const [what, change] of [
    ['ID token', { id_token: 'not-a-jwt' }],
    ['client_info', { client_info: '!!!' }],
  ] as const) {
    it(`answers a refresh whose ${what} MSAL cannot read as the provider failing, and keeps the partition as it was`, async () => {
      entra.accessTokenLifetimeSeconds = 60;
      const account = await signInThroughMsal(idp, entra, alice);
      const before = await store.read(account.accountId);
      entra.tokenAnswer = (form, [status, body]) =>
        form.get('grant_type') === 'refresh_token' ? [status, { ...(body as Record<string, unknown>), ...change }] : [status, body];
      const error = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(IdentityProviderUnavailable);
      expect(await store.read(account.accountId)).to.deep.equal(before);
    });
  }

  describe('the ID token a refresh returns (OpenID Connect Core §12.2)', () => {
    /** Alice signed in with an access token inside the renewal margin: the next use refreshes. */
    const signInNearExpiry = async () => {
      entra.accessTokenLifetimeSeconds = 60;
      const account = await signInThroughMsal(idp, entra, alice);
      entra.accessTokenLifetimeSeconds = 3600;
      return account;
    };
    /** The ID tokens the account's partition holds (MSAL's `IdToken` entries). */
    const idTokensHeld = async (accountId: string) =>
      Object.values((JSON.parse((await store.read(accountId))!.data) as { IdToken?: Record<string, { secret: string }> }).IdToken ?? {}).map((entry) => entry.secret);

    it('is kept when it names the same issuer, subject and audience, signed by the provider', async () => {
      const account = await signInNearExpiry();
      const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
      expect(entra.calls.refresh_token).to.equal(1);
      expect((await store.read(account.accountId))!.data, 'the refreshed tokens stored').to.contain(token.token);
      expect(await idTokensHeld(account.accountId)).to.deep.equal([entra.issuedIdTokens.at(-1)!]);
    });

    it("is kept whatever its sid: a refresh's sid is not used (the session keeps its sign-in's)", async () => {
      const account = await signInNearExpiry();
      entra.idTokenClaims = (claims) => ({ ...claims, sid: 42 });
      const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
      expect((await store.read(account.accountId))!.data, 'the refreshed tokens stored').to.contain(token.token);
    });

    // Each passes the checks of a sign-in's ID token but one (the rule), or names another identity
    // than the token it replaces (§12.2: `sub`; `aud` and `azp` that a sign-in would accept).
    const forgeries: Array<[string, string, () => Promise<void> | void]> = [
      ['another subject', 'sub', () => void (entra.idTokenClaims = (claims) => ({ ...claims, sub: 'sub-mallory' }))],
      ['another issuer', 'iss', () => void (entra.idTokenClaims = (claims) => ({ ...claims, iss: 'https://evil.example/v2.0' }))],
      ['an audience not this client', 'aud', () => void (entra.idTokenClaims = (claims) => ({ ...claims, aud: 'another-client' }))],
      ['another audience beside this client (azp: this client), where the token replaced had one', 'aud', () => void (entra.idTokenClaims = (claims) => ({ ...claims, aud: [entra.clientId, 'another-api'], azp: entra.clientId }))],
      ['an authorized party the token replaced did not have', 'azp', () => void (entra.idTokenClaims = (claims) => ({ ...claims, azp: entra.clientId }))],
      ['a key the provider never published', 'signature', async () => void (entra.idTokenSigner = { key: await foreignKey(), alg: 'RS256', kid: 'never-published' })],
      ['another oid than the account refreshed', 'account', () => void (entra.idTokenClaims = (claims) => ({ ...claims, oid: bob.oid }))],
      ['a nonce, not the sign-in\'s', 'nonce', () => void (entra.idTokenClaims = (claims) => ({ ...claims, nonce: 'of-another-authentication' }))],
      ['an auth_time, where the token replaced had none', 'auth_time', () => void (entra.idTokenClaims = (claims) => ({ ...claims, auth_time: Math.floor(Date.now() / 1000) }))],
    ];
    for (const [what, rule, forge] of forgeries) {
      it(`with ${what} is the provider failing (${rule}): nothing of that answer is stored or used, and its refresh token is revoked`, async () => {
        entra.revocation = true;
        const account = await signInNearExpiry();
        const before = await store.read(account.accountId);
        await forge();
        const error = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(IdentityProviderUnavailable);
        expect(entra.calls.refresh_token).to.equal(1);
        expect(await store.read(account.accountId), 'the partition as it was').to.deep.equal(before);
        expect(warnings.join('\n')).to.contain(`refreshed tokens not stored: the ID token of the refresh failed a check {"rule":"${rule}","revocation":"revoked"}`);
        expect(entra.revocationRequests.map((form) => form.token_type_hint)).to.deep.equal(['refresh_token']);
      });
    }

    describe('naming the original authentication (§12.2: its nonce and auth_time, when it carries them)', () => {
      const signedInAt = Math.floor(Date.now() / 1000) - 30;
      let signInNonce: unknown;
      /** As Keycloak: the sign-in's ID token has an auth_time; each refresh's repeats it and the nonce. */
      const signInWithAuthTime = async () => {
        entra.idTokenClaims = (claims) => ((signInNonce = claims.nonce), { ...claims, auth_time: signedInAt });
        const account = await signInNearExpiry();
        entra.idTokenClaims = (claims) => ({ ...claims, auth_time: signedInAt, nonce: signInNonce });
        return account;
      };

      it("is kept when it repeats the sign-in's nonce and auth_time", async () => {
        const account = await signInWithAuthTime();
        const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
        expect(entra.calls.refresh_token).to.equal(1);
        expect(await idTokensHeld(account.accountId)).to.deep.equal([entra.issuedIdTokens.at(-1)!]);
        expect((await store.read(account.accountId))!.data).to.contain(token.token);
      });

      it('is refused (auth_time) when it names a later authentication', async () => {
        entra.revocation = true;
        const account = await signInWithAuthTime();
        const before = await store.read(account.accountId);
        entra.idTokenClaims = (claims) => ({ ...claims, auth_time: signedInAt + 86_400, nonce: signInNonce });
        const error = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(IdentityProviderUnavailable);
        expect(await store.read(account.accountId), 'the partition as it was').to.deep.equal(before);
        expect(warnings.join('\n')).to.contain('refreshed tokens not stored: the ID token of the refresh failed a check {"rule":"auth_time","revocation":"revoked"}');
      });
    });

    it("of a tenant no longer allowed sends the user to sign in (where the refusal says why), not a 503 on every page", async () => {
      entra.revocation = true;
      const account = await signInNearExpiry();
      const before = await store.read(account.accountId);
      // Restarted with ALLOWED_TENANTS naming another tenant than alice's.
      const restarted = msalIdentityProvider(entra, store, warnings, { allowedTenants: ['00000000-0000-0000-0000-0000000000ff'] });
      const error = await restarted.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InteractionRequired);
      expect((error as InteractionRequired).scopes).to.deep.equal(GRAPH_SCOPES);
      expect((error as InteractionRequired).cause).to.be.instanceOf(TenantNotAllowed);
      expect(await store.read(account.accountId), 'nothing of that answer stored').to.deep.equal(before);
      expect(warnings.join('\n')).to.contain('refreshed tokens not stored: the ID token of the refresh failed a check {"rule":"tid","revocation":"revoked"}');
    });

    it('waits for the provider keys before spending the refresh token: a key outage is a 503 with the refresh token unused', async () => {
      entra.rotateRefreshTokens = true; // a second use of a spent refresh token signs the user out
      const account = await signInNearExpiry();
      const restarted = msalIdentityProvider(entra, store, warnings); // a process with no keys fetched yet
      entra.jwksStatus = 503;
      const during = await restarted.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
      expect(during).to.be.instanceOf(IdentityProviderUnavailable);
      expect(entra.calls.refresh_token, 'no refresh token spent').to.equal(0);
      entra.jwksStatus = 200;
      const after = await msalIdentityProvider(entra, store, warnings).acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
      expect(after.token).to.match(new RegExp(`^at\\.${alice.oid}\\.`));
      expect(entra.calls.refresh_token).to.equal(1);
    });

    it('is not needed: a refresh answered without one keeps the ID token held', async () => {
      const account = await signInNearExpiry();
      const held = await idTokensHeld(account.accountId);
      entra.tokenAnswer = (form, [status, body]) => {
        if (form.get('grant_type') !== 'refresh_token') return [status, body];
        const { id_token: _dropped, ...rest } = body as Record<string, unknown>;
        return [status, rest];
      };
      const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
      expect(entra.calls.refresh_token).to.equal(1);
      expect((await store.read(account.accountId))!.data).to.contain(token.token);
      expect(await idTokensHeld(account.accountId)).to.deep.equal(held);
    });
  });

  it('turns a revoked refresh token (invalid_grant) into InteractionRequired for the scopes', async () => {
    entra.accessTokenLifetimeSeconds = 60;
    const account = await signInThroughMsal(idp, entra, alice);
    entra.revokeRefreshTokens(alice);
    const error = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InteractionRequired);
    expect((error as InteractionRequired).scopes).to.deep.equal(GRAPH_SCOPES);
  });

  it('asks for interaction when the account has no partition', async () => {
    const error = await idp.acquireTokenSilently({ accountId: 'nobody.tenant', scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InteractionRequired);
  });

  it('does not write tokens back when the user signed out during a refresh (no resurrection)', async () => {
    entra.accessTokenLifetimeSeconds = 60;
    const account = await signInThroughMsal(idp, entra, alice);
    entra.holdRefreshResponses();
    const refreshing = idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
    while (entra.heldRefreshes === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await store.remove(account.accountId); // the sign-out
    entra.releaseRefreshes();
    await refreshing;
    expect(await store.read(account.accountId)).to.equal(undefined);
    expect(warnings.some((line) => line.startsWith('refreshed tokens not stored: partition removed meanwhile'))).to.equal(true);
  });

  describe('the refresh token of a refused write-back (a provider that rotates them)', () => {
    /** The refresh token each refresh the provider answered issued, newest last. */
    let issuedByRefresh: string[];

    beforeEach(() => {
      entra.revocation = true;
      entra.rotateRefreshTokens = true;
      entra.accessTokenLifetimeSeconds = 60; // inside MSAL's renewal margin: the next token request refreshes
      issuedByRefresh = [];
      entra.tokenAnswer = (form, answer) => {
        const body = answer[1] as { refresh_token?: string };
        if (form.get('grant_type') === 'refresh_token' && answer[0] === 200 && body.refresh_token) issuedByRefresh.push(body.refresh_token);
        return answer;
      };
    });

    /** A refresh held at the provider while `meanwhile` runs, then answered; resolves once it is done. */
    async function refreshAround(accountId: string, meanwhile: () => Promise<unknown>): Promise<void> {
      entra.holdRefreshResponses();
      const refreshing = idp.acquireTokenSilently({ accountId, scopes: GRAPH_SCOPES });
      while (entra.heldRefreshes === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await meanwhile();
      entra.releaseRefreshes();
      await refreshing;
    }

    it('is revoked when the partition was removed meanwhile: the new refresh token no longer works', async () => {
      const account = await signInThroughMsal(idp, entra, alice);

      await refreshAround(account.accountId, () => store.remove(account.accountId)); // the sign-out

      const [dropped] = issuedByRefresh;
      expect(dropped, 'the provider issued one').to.be.a('string');
      expect(await store.read(account.accountId), 'still signed out').to.equal(undefined);
      expect(await entra.redeemRefreshToken(dropped!), 'revoked at the provider').to.equal('invalid_grant');
      expect(entra.revocationRequests.map((form) => form.token)).to.deep.equal([dropped]);
      expect(warnings.join('\n'), 'never logged').to.not.contain(dropped!);
    });

    it('is kept when the write-back only lost a race with another write of the partition, which still exists', async () => {
      const account = await signInThroughMsal(idp, entra, alice);
      const before = (await store.read(account.accountId))!;

      await refreshAround(account.accountId, () => store.write(account.accountId, before.data, before.version)); // another instance's write

      expect(entra.revocationRequests, 'nothing revoked').to.deep.equal([]);
      expect(await entra.redeemRefreshToken(issuedByRefresh[0]!)).to.equal('ok');
      expect(await store.read(account.accountId), 'the other write stands').to.not.equal(undefined);
      expect(warnings).to.include('refreshed tokens not stored: partition changed meanwhile');
    });
  });

  it('removing one user leaves users whose ids share a prefix intact', async () => {
    const alice2 = fakeUser('alice2', `${alice.oid}2`);
    const a = await signInThroughMsal(idp, entra, alice);
    const a2 = await signInThroughMsal(idp, entra, alice2);
    const b = await signInThroughMsal(idp, entra, bob);
    expect(a2.accountId.startsWith(alice.oid)).to.equal(true);
    await store.remove(a.accountId);
    await Promise.all(
      [a2, b].map(async (account) => {
        const token = await idp.acquireTokenSilently({ accountId: account.accountId, scopes: GRAPH_SCOPES });
        expect(token.token).to.contain(account.accountId.split('.')[0]);
      }),
    );
    expect(await store.read(a.accountId)).to.equal(undefined);
  });

  it('builds the end-session URL from discovery with post_logout_redirect_uri and logout_hint', async () => {
    const url = new URL((await idp.endSessionUrl({ postLogoutRedirectUri: 'http://localhost:3000/auth/signed-out', logoutHint: 'hint-1' }))!);
    expect(url.origin + url.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
    expect(url.searchParams.get('post_logout_redirect_uri')).to.equal('http://localhost:3000/auth/signed-out');
    expect(url.searchParams.get('logout_hint')).to.equal('hint-1');
    expect(await idp.trustsIssuer(entra.issuer)).to.equal(true);
    expect(await idp.trustsIssuer(`${ENTRA_HOST}/another-tenant/v2.0`)).to.equal(false);
  });

  describe('id_token_hint on the end-session URL (RP-Initiated Logout 1.0 §2)', () => {
    const SIGNED_OUT = 'http://localhost:3000/auth/signed-out';
    /** As a sign-out here does it: the hint read first (before the partition goes), the URL after. */
    const endSession = async (account: { accountId: string; sid?: string; loginHint?: string }, provider = idp) => {
      const idTokenHint = await provider.idTokenHint(account);
      return new URL((await provider.endSessionUrl({ postLogoutRedirectUri: SIGNED_OUT, logoutHint: account.loginHint, idTokenHint }))!);
    };
    /** The account's partition rewritten with `change` applied to its parsed MSAL cache. */
    const rewritePartition = async (accountId: string, change: (cache: Record<string, Record<string, Record<string, string>>>) => void) => {
      const cache = JSON.parse((await store.read(accountId))!.data);
      change(cache);
      await store.write(accountId, JSON.stringify(cache));
    };

    it("carries the account's ID token as issued at sign-in, next to client_id, logout_hint and post_logout_redirect_uri", async () => {
      const account = await signInThroughMsal(idp, entra, alice);
      const issued = entra.issuedIdTokens.at(-1)!;

      const url = await endSession(account);

      expect(url.searchParams.get('id_token_hint')).to.equal(issued);
      expect(decodeJwt(url.searchParams.get('id_token_hint')!)).to.include({ aud: entra.clientId, sub: `sub-${alice.oid}` });
      expect(url.searchParams.get('client_id')).to.equal(entra.clientId);
      expect(url.searchParams.get('logout_hint')).to.equal(`hint-${alice.oid}`);
      expect(url.searchParams.get('post_logout_redirect_uri')).to.equal(SIGNED_OUT);
      expect(warnings.join('\n'), 'never logged').to.not.contain(issued);
    });

    it("takes this client's ID token of this account, and none when that is ambiguous", async () => {
      const account = await signInThroughMsal(idp, entra, alice);
      const issued = entra.issuedIdTokens.at(-1)!;
      const [key, mine] = Object.entries(JSON.parse((await store.read(account.accountId))!.data).IdToken as Record<string, Record<string, string>>)[0]!;
      await rewritePartition(account.accountId, (cache) => {
        cache.IdToken![`${key}-other-client`] = { ...mine, client_id: 'other-client', secret: 'id-token-of-another-client' };
        cache.IdToken![`${key}-other-account`] = { ...mine, home_account_id: 'other.account', secret: 'id-token-of-another-account' };
      });
      expect((await endSession(account)).searchParams.get('id_token_hint')).to.equal(issued);

      await rewritePartition(account.accountId, (cache) => {
        cache.IdToken![`${key}-other-realm`] = { ...mine, realm: 'other-realm', secret: 'id-token-of-another-realm' };
      });
      expect((await endSession(account)).searchParams.has('id_token_hint'), 'two of this client: neither').to.equal(false);
    });

    it("carries no hint when the account's last sign-in was another session's (another device): that token would end the other provider session", async () => {
      const laptop = await signInThroughMsal(idp, entra, alice, 'sid-laptop');
      const phone = await signInThroughMsal(idp, entra, alice, 'sid-phone'); // replaces the partition's ID token
      const phoneIdToken = entra.issuedIdTokens.at(-1)!;
      expect(decodeJwt(phoneIdToken)).to.include({ sid: 'sid-phone' });

      const fromLaptop = await endSession(laptop);

      expect(fromLaptop.searchParams.has('id_token_hint'), "never the phone's").to.equal(false);
      expect(fromLaptop.searchParams.get('logout_hint'), 'the user is still named').to.equal(`hint-${alice.oid}`);
      expect((await endSession(phone)).searchParams.get('id_token_hint'), "the phone's own").to.equal(phoneIdToken);
    });

    it('gives a session without a sid only an ID token without one', async () => {
      entra.idTokenClaims = (claims) => ({ ...claims, sid: undefined }); // a provider that issues no sid
      const noSid = await signInThroughMsal(idp, entra, alice);
      expect(noSid.sid).to.equal(undefined);
      expect((await endSession(noSid)).searchParams.get('id_token_hint'), 'it names the user, no session').to.equal(entra.issuedIdTokens.at(-1));

      entra.idTokenClaims = undefined;
      await signInThroughMsal(idp, entra, alice, 'sid-elsewhere');
      expect((await endSession(noSid)).searchParams.has('id_token_hint'), "another sign-in's, naming its session").to.equal(false);
    });

    it('has no hint for an account without a partition, or whose partition holds no ID token', async () => {
      const none = await endSession({ accountId: 'nobody.tenant', loginHint: 'hint-nobody' });
      expect(none.searchParams.has('id_token_hint')).to.equal(false);
      expect(none.searchParams.get('logout_hint')).to.equal('hint-nobody');
      expect(none.searchParams.get('client_id')).to.equal(entra.clientId);

      const account = await signInThroughMsal(idp, entra, alice);
      await rewritePartition(account.accountId, (cache) => {
        cache.IdToken = {};
      });
      const noIdToken = await endSession(account);
      expect(noIdToken.searchParams.has('id_token_hint')).to.equal(false);
      expect(noIdToken.searchParams.get('post_logout_redirect_uri')).to.equal(SIGNED_OUT);
      await store.write(account.accountId, 'not MSAL JSON');
      expect((await endSession(account)).searchParams.has('id_token_hint')).to.equal(false);
    });

    it('has no hint, and still a URL, when the token store cannot be read; the warning names no token', async () => {
      const account = await signInThroughMsal(idp, entra, alice);
      store.read = async () => {
        throw new StoreUnavailable('the token store is down');
      };

      const url = await endSession(account);

      expect(url.origin + url.pathname).to.equal(`${entra.authority}/oauth2/v2.0/logout`);
      expect(url.searchParams.has('id_token_hint')).to.equal(false);
      expect(url.searchParams.get('logout_hint')).to.equal(`hint-${alice.oid}`);
      expect(warnings.some((line) => line.startsWith('sign-out URL built without id_token_hint'))).to.equal(true);
      expect(warnings.join('\n')).to.not.contain(entra.issuedIdTokens.at(-1)!);
    });

    it('waits at most a moment for a store that does not answer, then goes without the hint', async () => {
      const account = await signInThroughMsal(idp, entra, alice);
      store.read = () => new Promise(() => {}); // a frozen store: never answers

      const started = performance.now();
      const url = await endSession(account);

      expect(performance.now() - started, 'bounded, not the store timeout').to.be.below(1000);
      expect(url.searchParams.has('id_token_hint')).to.equal(false);
      expect(url.searchParams.get('logout_hint')).to.equal(`hint-${alice.oid}`);
      expect(warnings.some((line) => line.startsWith('sign-out URL built without id_token_hint'))).to.equal(true);
    });

    it('builds the URL from discovery alone: no hint unless given, and no partition read', async () => {
      const account = await signInThroughMsal(idp, entra, alice);
      let reads = 0;
      const read = store.read.bind(store);
      store.read = (accountId) => (reads++, read(accountId));
      const url = new URL((await idp.endSessionUrl({ postLogoutRedirectUri: SIGNED_OUT, logoutHint: account.loginHint }))!);
      expect(url.searchParams.has('id_token_hint')).to.equal(false);
      expect(reads).to.equal(0);
    });
  });
});

/** A token response with `token_type` set to `tokenType`, or without one when it is undefined. */
function withTokenType(body: unknown, tokenType: string | undefined): Record<string, unknown> {
  const { token_type: _replaced, ...rest } = body as Record<string, unknown>;
  return tokenType === undefined ? rest : { ...rest, token_type: tokenType };
}

/** The messages of an error and of its causes, outermost first. */
function causeMessages(error: unknown): string[] {
  const messages: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages;
}
