import type { SignedInAccount } from '../../src/domain/account.ts';
import { InteractionRequired, SignInFailed, SignInUnverified } from '../../src/domain/errors.ts';
import { codeChallengeS256, codeOfCallback, newSignInChecks } from '../../src/adapters/msal/sign-in-checks.ts';
import type {
  CachedToken,
  AccessToken,
  SignInCallback,
  SignInChecks,
  SignInRequest,
  EndSessionRequest,
  IdentityProvider,
  SilentTokenRequest,
} from '../../src/ports/identity-provider.port.ts';
import type { TokenStore } from '../../src/ports/token-store.port.ts';

export const FAKE_ISSUER = 'https://idp.example/v2.0';
export const ACCESS_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export interface FakeUser {
  readonly accountId: string;
  readonly subject: string;
  readonly username: string;
  readonly name?: string;
  readonly loginHint?: string;
}

interface IssuedCode {
  readonly user: FakeUser;
  readonly sid: string;
  readonly nonce: string;
  readonly codeChallenge?: string;
}

/** The partition format this fake owns, as MSAL owns its cache format in the real adapter. */
export interface FakePartition {
  readonly accountId: string;
  readonly accessTokens: Record<string, { readonly token: string; readonly expiresAt: number }>;
  readonly refreshToken: string;
  /** The provider session of the sign-in that wrote it (its ID token's `sid`). */
  readonly sid?: string;
}

/**
 * An in-memory identity provider that keeps tokens in a real TokenStore the way
 * MsalIdentityProvider does: a redeemed code replaces the partition, a refresh writes back with a
 * compare-and-set on the version it read, so a sign-out during a refresh wins.
 */
export class FakeIdentityProvider implements IdentityProvider {
  /** Accounts whose refresh token the provider no longer honours. */
  readonly refreshTokenRevoked = new Set<string>();
  /** Accounts whose refresh the provider refuses with these claims to ask for (a CAE revocation, a step-up). */
  readonly refreshRefusedWithClaims = new Map<string, string>();
  /** Accounts whose refresh the provider refuses saying their sessions were revoked (Entra's AADSTS50173). */
  readonly sessionsRevoked = new Set<string>();
  /** Every `endSessionUrl` request, oldest first. */
  readonly endSessionRequests: EndSessionRequest[] = [];
  readonly #tokenStore: TokenStore;
  readonly #now: () => number;
  readonly #codes = new Map<string, IssuedCode>();
  readonly #tokenCounters = new Map<string, number>();
  #codeCounter = 0;
  #hold: { released: Promise<void>; reached: () => void } | undefined;
  #holdReached: Promise<void> = Promise.resolve();

  constructor(deps: { tokenStore: TokenStore; now?: () => number }) {
    this.#tokenStore = deps.tokenStore;
    this.#now = deps.now ?? Date.now;
  }

  /** The same protocol checks as the MSAL adapter (src/adapters/msal/sign-in-checks.ts). */
  async startSignIn(request: SignInRequest): Promise<{ authorizationUrl: string; checks: SignInChecks }> {
    const { checks, codeChallenge } = newSignInChecks();
    const url = new URL('https://idp.example/authorize');
    url.searchParams.set('scope', request.scopes.join(' '));
    url.searchParams.set('state', checks.state);
    url.searchParams.set('nonce', checks.nonce);
    url.searchParams.set('code_challenge', codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    if (request.claims !== undefined) url.searchParams.set('claims', request.claims);
    if (request.loginHint !== undefined) url.searchParams.set('login_hint', request.loginHint);
    if (request.prompt !== undefined) url.searchParams.set('prompt', request.prompt);
    return { authorizationUrl: url.toString(), checks: { ...checks } };
  }

  async completeSignIn(kept: SignInChecks, callback: SignInCallback, scopes: readonly string[]): Promise<SignedInAccount> {
    // A provider that does not promise `iss` in its responses (as Entra), holding one that names it to its issuer.
    const { code, checks } = await codeOfCallback(kept, callback, { configuration: async () => ({}), issuerRefusal: async (iss) => ((await this.trustsIssuer(iss)) ? undefined : 'iss') });
    return this.#redeem({ code, codeVerifier: checks.codeVerifier, nonce: checks.nonce, scopes });
  }

  /** Test helper: the user signs in at the provider, which answers with this one-time code. */
  issueCode(user: FakeUser, request: { sid: string; nonce: string; codeChallenge?: string }): string {
    const code = `code-${++this.#codeCounter}`;
    this.#codes.set(code, { user, ...request });
    return code;
  }

  /** Test helper: a completed sign-in without going through SignIn (for tests of other use cases). */
  async signInDirectly(user: FakeUser, options: { sid: string; scopes: readonly string[] }): Promise<SignedInAccount> {
    const code = this.issueCode(user, { sid: options.sid, nonce: 'seeded-nonce' });
    return this.#redeem({ code, codeVerifier: 'unused', scopes: options.scopes, nonce: 'seeded-nonce' });
  }

  async #redeem(redemption: { code: string; codeVerifier: string; nonce: string; scopes: readonly string[] }): Promise<SignedInAccount> {
    const issued = this.#codes.get(redemption.code);
    if (!issued) throw new SignInFailed('invalid_grant', 'unknown or already redeemed code', { heardFrom: 'token endpoint' });
    this.#codes.delete(redemption.code); // codes are single use
    if (issued.nonce !== redemption.nonce) throw new SignInUnverified('nonce'); // as the MSAL adapter answers MSAL's nonce_mismatch
    if (issued.codeChallenge !== undefined && codeChallengeS256(redemption.codeVerifier) !== issued.codeChallenge) {
      throw new SignInFailed('invalid_grant', 'PKCE verification failed', { heardFrom: 'token endpoint' });
    }
    const { user } = issued;
    const partition: FakePartition = {
      accountId: user.accountId,
      accessTokens: { [scopesKey(redemption.scopes)]: this.#newAccessToken(user.accountId) },
      refreshToken: `rt-${user.accountId}`,
      sid: issued.sid,
    };
    // A fresh sign-in replaces the partition: no compare-and-set, like the real adapter.
    await this.#tokenStore.write(user.accountId, JSON.stringify(partition));
    return {
      accountId: user.accountId,
      subject: user.subject,
      sid: issued.sid,
      username: user.username,
      ...(user.name !== undefined && { name: user.name }),
      ...(user.loginHint !== undefined && { loginHint: user.loginHint }),
    };
  }

  async acquireTokenSilently(request: SilentTokenRequest): Promise<AccessToken> {
    const stored = await this.#tokenStore.read(request.accountId);
    if (!stored) throw new InteractionRequired(request.scopes, undefined, { reason: 'no cached tokens' });
    const partition = JSON.parse(stored.data) as FakePartition;
    const key = scopesKey(request.scopes);
    const cached = partition.accessTokens[key];
    if (cached && !request.forceRefresh && cached.expiresAt > this.#now()) return this.#accessToken(cached, request.scopes);

    if (this.refreshTokenRevoked.has(request.accountId)) {
      throw new InteractionRequired(request.scopes, undefined, { reason: 'refresh token revoked' });
    }
    const claims = this.refreshRefusedWithClaims.get(request.accountId);
    if (claims) throw new InteractionRequired(request.scopes, claims, { reason: 'invalid_grant' });
    if (this.sessionsRevoked.has(request.accountId)) throw new InteractionRequired(request.scopes, undefined, { reason: 'invalid_grant', sessionsRevoked: true });
    const fresh = this.#newAccessToken(request.accountId);
    await this.#waitWhileHeld();
    const updated: FakePartition = { ...partition, accessTokens: { ...partition.accessTokens, [key]: fresh } };
    // Compare-and-set on the version read above: a sign-out meanwhile wins (no resurrection).
    await this.#tokenStore.write(request.accountId, JSON.stringify(updated), stored.version);
    return this.#accessToken(fresh, request.scopes);
  }

  async endSessionUrl(request: EndSessionRequest): Promise<string | undefined> {
    this.endSessionRequests.push(request);
    const url = new URL('https://idp.example/logout');
    url.searchParams.set('post_logout_redirect_uri', request.postLogoutRedirectUri);
    if (request.logoutHint !== undefined) url.searchParams.set('logout_hint', request.logoutHint);
    if (request.idTokenHint !== undefined) url.searchParams.set('id_token_hint', request.idTokenHint);
    return url.toString();
  }

  /**
   * A stand-in ID token for an account that holds tokens, as the MSAL adapter reads one: only for
   * the session of the sign-in that wrote the partition (its `sid`).
   */
  async idTokenHint(account: Pick<SignedInAccount, 'accountId' | 'sid'>): Promise<string | undefined> {
    const stored = await this.#tokenStore.read(account.accountId);
    if (!stored || (JSON.parse(stored.data) as FakePartition).sid !== account.sid) return undefined;
    return `id-token-of-${account.accountId}`;
  }

  async trustsIssuer(iss: string): Promise<boolean> {
    return iss === FAKE_ISSUER;
  }

  async cachedTokens(accountId: string): Promise<CachedToken[]> {
    const stored = await this.#tokenStore.read(accountId);
    if (!stored) return [];
    const partition = JSON.parse(stored.data) as FakePartition;
    return [
      ...Object.entries(partition.accessTokens).map(([key, token]) => ({
        kind: 'access' as const,
        scopes: key.split(' '),
        expiresOn: new Date(token.expiresAt),
      })),
      { kind: 'refresh' as const, scopes: [] },
    ];
  }

  /**
   * Test helper: the next refreshes pause after reading the partition and before writing it back,
   * until the returned function is called. `refreshHeld()` resolves once one is paused.
   */
  holdRefresh(): () => void {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holdReached = new Promise<void>((resolve) => (reached = resolve));
    this.#hold = { released, reached };
    return () => {
      this.#hold = undefined;
      release();
    };
  }

  /** Resolves once a refresh is paused by `holdRefresh` (immediately when nothing is held). */
  refreshHeld(): Promise<void> {
    return this.#holdReached;
  }

  async #waitWhileHeld(): Promise<void> {
    const hold = this.#hold;
    if (!hold) return;
    hold.reached();
    await hold.released;
  }

  #newAccessToken(accountId: string): { token: string; expiresAt: number } {
    const n = (this.#tokenCounters.get(accountId) ?? 0) + 1;
    this.#tokenCounters.set(accountId, n);
    return { token: `at-${accountId}-${n}`, expiresAt: this.#now() + ACCESS_TOKEN_LIFETIME_MS };
  }

  #accessToken(cached: { token: string; expiresAt: number }, scopes: readonly string[]): AccessToken {
    return { token: cached.token, expiresOn: new Date(cached.expiresAt), scopes: [...scopes] };
  }
}

/** Order-insensitive, case-insensitive key for a set of scopes. */
export function scopesKey(scopes: readonly string[]): string {
  return [...new Set(scopes.map((scope) => scope.toLowerCase()))].sort().join(' ');
}
