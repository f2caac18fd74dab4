import { ConfidentialClientApplication, LogLevel, ProtocolMode, type AccountInfo, type AuthenticationResult, type INetworkModule } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import type { SignedInAccount } from '../../domain/account.ts';
import { IdentityProviderUnavailable, InteractionRequired, SignInNotCompleted, SignInUnverified, TenantNotAllowed, TokenRefreshFailed } from '../../domain/errors.ts';
import type {
  AccessToken,
  CachedToken,
  EndSessionRequest,
  IdentityProvider,
  SignInCallback,
  SignInChecks,
  SignInRequest,
  SilentTokenRequest,
} from '../../ports/identity-provider.port.ts';
import type { RefreshTokenRevoker } from '../../ports/refresh-token-revoker.port.ts';
import type { TokenStore } from '../../ports/token-store.port.ts';
import { isRevocationChallenge } from '../../domain/claims-challenge.ts';
import { codeRedemptionError, silentTokenError } from './msal-errors.ts';
import { PartitionCachePlugin } from './partition-cache-plugin.ts';
import { RefreshGate } from './refresh-gate.ts';
import { idTokenSecret } from './partition-secrets.ts';
import { codeOfCallback, newSignInChecks, RESPONSE_ISSUER_RULE, RESPONSE_TENANT_RULE } from './sign-in-checks.ts';
import { cacheableScopes, matchedAccessToken, nowSeconds, partitionView, type PartitionView } from './partition-view.ts';
import { BackgroundRefreshes } from './background-refreshes.ts';

export interface MsalSettings {
  readonly authority: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** `AAD` for Microsoft hosts (client_info, authority aliases), `OIDC` for any other provider. */
  readonly protocolMode: 'AAD' | 'OIDC';
  /** Declared to the provider on every request, e.g. `cp1` (Continuous Access Evaluation). */
  readonly clientCapabilities: readonly string[];
}

/** The provider's discovery document, as far as this adapter reads it. */
export interface ProviderEndpoints {
  readonly issuer: string;
  readonly end_session_endpoint?: string;
  readonly [key: string]: unknown;
}

/** The provider's published documents (src/adapters/oidc/provider-discovery.ts gives them). */
export interface ProviderDocuments {
  /** The provider's discovery document; rejects with `IdentityProviderUnavailable` while it cannot be had. */
  configuration(): Promise<ProviderEndpoints>;
  /** Whether a bare `iss` is this provider's, for a tenant the app allows. */
  trustsIssuer(iss: string): Promise<boolean>;
  /** Why a bare `iss` is refused (`tid`: a tenant not allowed), or `undefined` when it is trusted. */
  issuerRefusal(iss: string): Promise<'iss' | 'tid' | undefined>;
}

/**
 * The ID token checks MSAL does not make (src/adapters/oidc/id-token-validator.ts): resolves to the
 * verified claims, rejects with `SignInUnverified` or `IdentityProviderUnavailable`.
 */
export interface IdTokenCheck {
  /** The sign-in's ID token, with the nonce it must carry (OpenID Connect Core §3.1.3.7): its verified claims. */
  validate(idToken: string, expectedNonce: string): Promise<Record<string, unknown>>;
  /** A refresh's ID token, held to `original`'s identity (OpenID Connect Core §12.2); no nonce. */
  validateRefreshed(idToken: string, original: Readonly<Record<string, unknown>> | undefined): Promise<Record<string, unknown>>;
  /** Resolves once a token could be checked (discovery and keys at hand); rejects with `IdentityProviderUnavailable`. */
  ready(): Promise<void>;
}

/**
 * How a silent token request was answered: from a parsed partition kept in memory, from the
 * partition read from the store, by a refresh at the provider, or not at all (the user must sign in).
 */
export type SilentTokenOutcome = 'memory-hit' | 'store-hit' | 'refreshed' | 'interaction-required';

/**
 * Parsed partitions, kept in memory by their one owner (src/adapters/partition-cache: a TokenStore
 * decorator that drops a copy the moment the partition changes anywhere).
 */
export interface PartitionViews {
  /** The account's current partition parsed, checked against the store; `view` is `undefined` when it has none. */
  lookup(accountId: string): Promise<{ view: PartitionView | undefined; fromMemory: boolean }>;
  /** As `lookup` last gave it, without asking the store: for display in the same request only. */
  lastChecked(accountId: string): Promise<PartitionView | undefined>;
}

/**
 * The longest a sign-out waits for its optional `id_token_hint`: a healthy store answers in
 * milliseconds, and a stuck one (a frozen Redis) would otherwise add its whole command timeout to
 * the 503 the sign-out then meets.
 */
const ID_TOKEN_HINT_READ_MS = 250;

/** How often a failed check of the authorization response itself (forgeable with a fresh `state`) is logged, per rule. */
const RESPONSE_REFUSAL_LOG_EVERY_MS = 60_000;

/**
 * IdentityProvider on @azure/msal-node. A new ConfidentialClientApplication for every operation,
 * holding only the one account's partition (see PartitionCachePlugin for why); building one costs
 * microseconds because the discovery document is passed in as `authorityMetadata`.
 */
export class MsalIdentityProvider implements IdentityProvider {
  readonly #settings: MsalSettings;
  readonly #tokenStore: TokenStore;
  readonly #providerDocuments: ProviderDocuments;
  readonly #idTokenCheck: IdTokenCheck;
  readonly #networkClient: INetworkModule;
  readonly #logger: Logger;
  #narrowedGrantNoted = false;
  /** When each of the authorization response's rules was last logged as failed (#logRefusal). */
  readonly #responseRefusalLoggedAt = new Map<string, number>();
  readonly #msalLogger: Logger;
  readonly #msalLogLevel: LogLevel;
  readonly #onSilentToken: (outcome: SilentTokenOutcome) => void;
  readonly #views: PartitionViews;
  readonly #refreshGate: RefreshGate;
  readonly #backgroundRefreshes: BackgroundRefreshes;
  readonly #revoker: RefreshTokenRevoker;
  readonly #accountInUse: (accountId: string) => Promise<boolean>;

  constructor(deps: {
    msalSettings: MsalSettings;
    tokenStore: TokenStore;
    providerDocuments: ProviderDocuments;
    idTokenCheck: IdTokenCheck;
    networkClient: INetworkModule;
    logger: Logger;
    /** Revokes the refresh token of a refresh whose write-back found the partition removed (a sign-out meanwhile). */
    refreshTokenRevoker: RefreshTokenRevoker;
    /** Parsed partitions kept in memory; without it each request reads and parses its partition. */
    partitionViews?: PartitionViews;
    /** One refresh per account at a time (default: within this process only). */
    refreshGate?: RefreshGate;
    /** Told how each silent token request was answered (the app counts them). */
    onSilentToken?: (outcome: SilentTokenOutcome) => void;
    /** The refreshes of tokens past their refresh_on, run behind the requests (shutdown waits for them). */
    backgroundRefreshes?: BackgroundRefreshes;
    /** Whether a session here names the account (so uses its partition): see `#unstoredSignIn`. Default: none does. */
    accountInUse?: (accountId: string) => Promise<boolean>;
  }) {
    this.#settings = deps.msalSettings;
    this.#tokenStore = deps.tokenStore;
    this.#providerDocuments = deps.providerDocuments;
    this.#idTokenCheck = deps.idTokenCheck;
    this.#networkClient = deps.networkClient;
    this.#logger = deps.logger;
    this.#msalLogger = deps.logger.child({ component: 'msal' });
    // MSAL formats every line it would log, so below Warning it costs even when nothing is written.
    this.#msalLogLevel = deps.logger.isLevelEnabled('debug') ? LogLevel.Info : LogLevel.Warning;
    this.#onSilentToken = deps.onSilentToken ?? (() => {});
    this.#views = deps.partitionViews ?? uncachedViews(deps.tokenStore, deps.msalSettings.clientId, deps.msalSettings.authority);
    this.#refreshGate = deps.refreshGate ?? new RefreshGate({ lockTtlMs: 0 });
    this.#backgroundRefreshes = deps.backgroundRefreshes ?? new BackgroundRefreshes();
    this.#revoker = deps.refreshTokenRevoker;
    this.#accountInUse = deps.accountInUse ?? (async () => false);
  }

  async startSignIn(request: SignInRequest): Promise<{ authorizationUrl: string; checks: SignInChecks }> {
    const { client } = await this.#client(undefined);
    const { checks, codeChallenge } = newSignInChecks();
    const authorizationUrl = await client.getAuthCodeUrl({
      scopes: [...request.scopes],
      redirectUri: this.#settings.redirectUri,
      responseMode: 'query',
      state: checks.state,
      nonce: checks.nonce,
      codeChallenge,
      codeChallengeMethod: 'S256',
      claims: request.claims,
      loginHint: request.loginHint,
      prompt: request.prompt,
    });
    return { authorizationUrl, checks: { ...checks } };
  }

  async completeSignIn(kept: SignInChecks, callback: SignInCallback, scopes: readonly string[], requestedClaims?: string): Promise<SignedInAccount> {
    const { code, checks } = await codeOfCallback(kept, callback, this.#providerDocuments).catch((error: unknown) => {
      throw this.#logRefusal(error);
    });
    const { client, plugin } = await this.#client(undefined);
    let result: AuthenticationResult;
    try {
      // The returned state goes in the second argument: MSAL compares `state` only when it gets that
      // payload (acquireTokenByCode in lib/msal-node/src/client/ClientApplication.ts of
      // AzureAD/microsoft-authentication-library-for-js). The claims the authorization request
      // asked for go to the token request too ("added to all /authorize and /token calls", MSAL's
      // CommonAuthorizationCodeRequest), merged there with the client capabilities.
      result = await client.acquireTokenByCode(
        {
          code,
          scopes: [...scopes],
          redirectUri: this.#settings.redirectUri,
          codeVerifier: checks.codeVerifier,
          state: checks.state,
          nonce: checks.nonce,
          ...(requestedClaims ? { claims: requestedClaims } : {}),
        },
        { code, state: checks.state },
      );
    } catch (error) {
      throw this.#logRefusal(codeRedemptionError(error, scopes));
    }
    const account = result.account;
    // The provider answered the redemption with a response no client can use: it failed the sign-in.
    if (!account || !plugin.changes || !result.idToken) throw new SignInNotCompleted('the token response carried no account');
    // RFC 6749 §5.1: access_token is REQUIRED; without one nothing is stored, as for a refresh.
    if (!result.accessToken) throw new SignInNotCompleted('the token response carried no access token');
    // MSAL only decoded the ID token; nothing is stored until it passes the relying party's checks.
    const claims = await this.#verifiedClaims(result.idToken, checks.nonce, account.homeAccountId);
    // A fresh sign-in starts a fresh partition: no compare-and-set, it replaces what was there.
    // Whether a session already uses the account's partition is read first: see `#unstoredSignIn`.
    const inUseBefore = await this.#accountInUse(account.homeAccountId);
    try {
      await this.#tokenStore.write(account.homeAccountId, plugin.changes);
    } catch (error) {
      await this.#unstoredSignIn(plugin.changes, inUseBefore, error);
      throw error;
    }
    return {
      accountId: account.homeAccountId,
      subject: claims.sub as string,
      sid: stringClaim(claims.sid),
      // MSAL copies these from the ID token (`preferred_username`, `upn` or `emails[0]`; `name`)
      // whatever their JSON type. A session keeps only text (session-data.ts), and one it would not
      // keep left the tokens just stored with no session that could ever remove them. Without any
      // (a provider that sends none, a user who declined the `profile` scope) the pages name the
      // subject, rather than "Signed in as" and nothing.
      username: typeof account.username === 'string' && account.username !== '' ? account.username : (claims.sub as string),
      name: typeof account.name === 'string' ? account.name : undefined,
      loginHint: stringClaim(claims.login_hint),
    };
  }

  /**
   * A refresh's new ID token, verified as OpenID Connect Core §12.2 asks (id-token-validator.ts) and
   * naming the account it was refreshed for. One that fails is the provider failing (503), logged with
   * the rule; the tokens of that answer are neither stored nor used, and its refresh token
   * (`answered`, the partition as the answer left it) is revoked: it came with an identity this app
   * does not accept, and, with a provider that rotates refresh tokens, would otherwise stay valid
   * unseen. The user signs in again.
   *
   * But for a tenant the app no longer allows (ALLOWED_TENANTS changed since the user signed in):
   * not the provider failing, and a 503 would follow on every page, for as long as the session
   * lasted, where the provider cannot revoke (Entra). The user is sent to sign in, where the
   * refusal says why.
   */
  async #verifiedRefreshedIdToken(idToken: string, account: AccountInfo, answered: string | undefined, scopes: readonly string[]): Promise<void> {
    try {
      const claims = await this.#idTokenCheck.validateRefreshed(idToken, account.idTokenClaims);
      if (!accountMatches(account.homeAccountId, claims)) throw new SignInUnverified('account');
    } catch (error) {
      if (!(error instanceof SignInUnverified)) throw error;
      const revocation = answered ? await this.#revoker.revoke(answered) : 'not-attempted';
      this.#logger.warn({ rule: error.rule, revocation }, 'refreshed tokens not stored: the ID token of the refresh failed a check');
      if (error instanceof TenantNotAllowed) throw new InteractionRequired(scopes, undefined, { cause: error, reason: 'tenant not allowed' });
      throw new TokenRefreshFailed(`the ID token of a refresh failed a check (${error.rule})`, { cause: error });
    }
  }

  async #verifiedClaims(idToken: string, nonce: string, homeAccountId: string): Promise<Record<string, unknown>> {
    try {
      const claims = await this.#idTokenCheck.validate(idToken, nonce);
      if (!accountMatches(homeAccountId, claims)) throw new SignInUnverified('account');
      return claims;
    } catch (error) {
      throw this.#logRefusal(error);
    }
  }

  /**
   * Warns, once per process, of a provider that grants fewer scopes than asked (RFC 6749 §3.3 lets
   * it): the cache serves a token only for every scope asked, so each page would refresh at the
   * provider, and the operator should ask for what it grants (API_SCOPES).
   */
  #noteNarrowedGrant(requested: readonly string[], granted: readonly string[]): void {
    if (this.#narrowedGrantNoted) return;
    const given = new Set(granted.map((scope) => scope.toLowerCase()));
    const missing = cacheableScopes(requested).filter((scope) => !given.has(scope));
    if (missing.length === 0) return;
    this.#narrowedGrantNoted = true;
    this.#logger.warn(
      { requested, granted, missing },
      'the provider granted other scopes than API_SCOPES asks: no cached token matches, so every page refreshes at the provider; set API_SCOPES to what it grants',
    );
  }

  /**
   * One log line for a provider answer that failed a check, naming the rule (never the token). The
   * authorization response's own rules are checked before any code is redeemed, so anyone holding a
   * fresh `state` can fail them: each of those is logged at most once a minute.
   */
  #logRefusal(error: unknown): unknown {
    if (error instanceof SignInUnverified) {
      const responseRule = error.rule === RESPONSE_ISSUER_RULE || error.rule === RESPONSE_TENANT_RULE;
      const now = Date.now();
      if (responseRule && now - (this.#responseRefusalLoggedAt.get(error.rule) ?? -Infinity) < RESPONSE_REFUSAL_LOG_EVERY_MS) return error;
      if (responseRule) this.#responseRefusalLoggedAt.set(error.rule, now);
      const what =
        error.rule === RESPONSE_ISSUER_RULE ? 'the authorization response does not name this provider'
        : error.rule === RESPONSE_TENANT_RULE ? 'the authorization response names a tenant not allowed'
        : 'id token failed a check';
      this.#logger.warn({ rule: error.rule }, `sign-in refused: ${what}`);
    }
    return error;
  }

  async acquireTokenSilently(request: SilentTokenRequest): Promise<AccessToken> {
    try {
      const { token, outcome } = await this.#silentToken(request);
      this.#onSilentToken(outcome);
      return token;
    } catch (error) {
      if (error instanceof InteractionRequired) this.#onSilentToken('interaction-required');
      throw error;
    }
  }

  async #silentToken(request: SilentTokenRequest): Promise<{ token: AccessToken; outcome: SilentTokenOutcome }> {
    const fromCache = async (orDueForRefresh = false): Promise<{ token: AccessToken; outcome: SilentTokenOutcome; due?: boolean } | undefined> => {
      const { view, fromMemory } = await this.#views.lookup(request.accountId);
      if (!view) throw new InteractionRequired(request.scopes, undefined, { reason: 'no cached tokens' });
      const found = matchedAccessToken(view, request.scopes, nowSeconds());
      if (!found || (found.refreshDue && !orDueForRefresh)) return undefined;
      return { token: found.token, outcome: fromMemory ? ('memory-hit' as const) : ('store-hit' as const), due: found.refreshDue };
    };
    await this.#heardOfRevocation(request);
    if (!request.forceRefresh) {
      const cached = await fromCache(true);
      if (cached?.due) this.#refreshInBackground(request, () => fromCache());
      if (cached) return cached;
    }
    // A forced refresh naming the token the API refused is satisfied by any other token held (not
    // due): another request's refresh stored it, before this request asked or while it waited at the
    // gate. Compared by version instead, two requests refused on one token refreshed twice, one
    // after the other, when the first's refresh landed between the second's two looks.
    const { refusedToken } = request;
    if (request.forceRefresh && refusedToken !== undefined) {
      const another = async () => {
        const held = await fromCache();
        return held && held.token.token !== refusedToken ? held : undefined;
      };
      const held = await another();
      if (held) return held;
      return this.#refreshGate.run(request.accountId, another, async () => ({ token: await this.#refresh(request), outcome: 'refreshed' as const }));
    }
    // Otherwise a forced refresh is satisfied by a refresh that finished after it was asked for, not before.
    const askedAt = request.forceRefresh ? await this.#tokenStore.version(request.accountId) : undefined;
    const refreshedMeanwhile = async () => {
      if (request.forceRefresh && (await this.#tokenStore.version(request.accountId)) === askedAt) return undefined;
      return fromCache();
    };
    return this.#refreshGate.run(request.accountId, refreshedMeanwhile, async () => ({ token: await this.#refresh(request), outcome: 'refreshed' as const }));
  }

  /**
   * A token past its `refresh_on` (Entra sets one on long-lived tokens, such as those a CAE-capable
   * client gets) is still valid: it is served at once while one refresh of the account runs behind
   * it, through the same gate as every refresh. MSAL itself would await that refresh in each request,
   * so while the provider cannot be reached every page would wait out HTTP_TIMEOUT_MS. A failure is
   * logged, and the account's next background refresh waits 30 s (BackgroundRefreshes); the token
   * is served until it nears expiry, when the refresh is no longer optional.
   */
  #refreshInBackground(request: SilentTokenRequest, cachedNotDue: () => Promise<unknown>): void {
    const { accountId } = request;
    if (!this.#backgroundRefreshes.tryStart(accountId)) return;
    // Forced: MSAL's own refresh_on refresh swallows a failure and answers with the cached token.
    let refreshedVersion: string | undefined;
    const refresh = () => this.#refresh({ ...request, forceRefresh: true }, (version) => (refreshedVersion = version));
    const running = this.#refreshGate.run(accountId, cachedNotDue, refresh);
    this.#backgroundRefreshes.track(running);
    running.then(
      () => this.#backgroundRefreshes.finished(accountId, true),
      (error: unknown) => {
        this.#backgroundRefreshes.finished(accountId, false);
        if (refreshedVersion !== undefined && error instanceof InteractionRequired && (error.sessionsRevoked || isRevocationChallenge(error.claims))) {
          this.#backgroundRefreshes.noteRevoked(accountId, { version: refreshedVersion, claims: error.claims });
          this.#logger.warn({ err: error }, 'background token refresh refused as revoked: the account\'s next request for a token on this instance ends its sessions');
        } else this.#logger.warn({ err: error }, 'background token refresh failed: the current token is served until it nears expiry');
      },
    );
  }

  /**
   * A background refresh of this account the provider refused as revoked (AADSTS50173, a revocation
   * challenge): while the partition is still the one whose refresh token was refused, a request for
   * a token hears it as its own refresh would have (CallApi then ends the account's sessions),
   * instead of being served the token still held until it nears expiry, which may be hours. Kept
   * until the partition changes, so a sign-out that failed is tried again by the next request.
   * Removed (signed out), or written since (a sign-in), it is forgotten: that sign-in's tokens are
   * not the ones refused.
   */
  async #heardOfRevocation(request: SilentTokenRequest): Promise<void> {
    const revoked = this.#backgroundRefreshes.revokedAt(request.accountId);
    if (!revoked) return;
    if ((await this.#tokenStore.version(request.accountId)) !== revoked.version) {
      this.#backgroundRefreshes.forgetRevoked(request.accountId, revoked);
      return;
    }
    throw new InteractionRequired(request.scopes, revoked.claims, { reason: 'a background refresh was refused as revoked', sessionsRevoked: true });
  }

  /**
   * Lets MSAL refresh the account's tokens, and stores them unless the partition changed meanwhile.
   * `read`: told the version of the partition whose refresh token is sent.
   */
  async #refresh(request: SilentTokenRequest, read?: (version: string) => void): Promise<AccessToken> {
    const partition = await this.#tokenStore.read(request.accountId);
    if (!partition) throw new InteractionRequired(request.scopes, undefined, { reason: 'no cached tokens' });
    read?.(partition.version);
    const { client, plugin } = await this.#client(partition.data);
    const account = await client.getTokenCache().getAccountByHomeId(request.accountId);
    if (!account) throw new InteractionRequired(request.scopes, undefined, { reason: 'account not in its partition' });
    // The ID token the refresh returns is checked before anything of the answer is kept: the keys
    // are made sure of first, so that a key outage fails the request before the refresh token is
    // spent (a provider that rotates refresh tokens takes its second use for theft).
    await this.#idTokenCheck.ready();
    let result: AuthenticationResult;
    try {
      result = await client.acquireTokenSilent({
        account,
        scopes: [...request.scopes],
        forceRefresh: request.forceRefresh ?? false,
      });
    } catch (error) {
      throw silentTokenError(error, request.scopes);
    }
    // MSAL 7 was seen here to return an empty token rather than throw when a test fake did not
    // match the token request: never hand out an empty token.
    if (!result.accessToken) throw new TokenRefreshFailed('the provider returned no access token');
    this.#noteNarrowedGrant(request.scopes, result.scopes);
    // MSAL keeps whatever ID token a refresh returns, unchecked (it only decodes it), and hands it out
    // as the account's from then on (as `id_token_hint`, here): checked before anything is stored.
    // An answer without one gives a result with none (""); one served from MSAL's cache, the one held.
    if (result.idToken && result.idToken !== account.idToken) await this.#verifiedRefreshedIdToken(result.idToken, account, plugin.changes, request.scopes);
    if (plugin.changes) {
      const written = await this.#tokenStore.write(request.accountId, plugin.changes, partition.version);
      // Not written: the user signed out (or another request refreshed) meanwhile. Dropping this
      // write is what keeps a signed-out user's tokens from coming back.
      if (!written) await this.#refusedWriteBack(request.accountId, plugin.changes);
    }
    return {
      token: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(0),
      scopes: result.scopes,
    };
  }

  /**
   * A refresh's write-back refused by the compare-and-set. When the partition is gone (a sign-out
   * removed it while the refresh was at the provider), the refresh token the refused write held is
   * revoked: a provider that rotates refresh tokens issued it after the sign-out read the partition,
   * so the sign-out's revocation never saw it, and it would stay valid there. When the partition
   * still exists, another request or instance wrote it (its own refresh, or a new sign-in): a race
   * lost, not a sign-out, and nothing is revoked, as the token may be the very one that partition
   * holds (a provider that does not rotate them hands the same one back). Revocation is bounded
   * (RefreshTokenRevoker: at most 2 s) and never rejects; the token is never logged.
   */
  async #refusedWriteBack(accountId: string, refusedData: string): Promise<void> {
    let removed: boolean;
    try {
      removed = (await this.#tokenStore.version(accountId)) === undefined;
    } catch (error) {
      // The access token is good: a store that fails now costs the revocation, not the request.
      this.#logger.warn({ err: error }, 'refreshed tokens not stored: partition changed meanwhile, and whether it was removed could not be read');
      return;
    }
    if (!removed) {
      this.#logger.warn('refreshed tokens not stored: partition changed meanwhile');
      return;
    }
    const revocation = await this.#revoker.revoke(refusedData);
    this.#logger.warn({ revocation }, 'refreshed tokens not stored: partition removed meanwhile (a sign-out); their refresh token sent for revocation');
  }

  /**
   * A sign-in's token write that failed as far as this request knows: a store slow past its deadline
   * may still carry it out (a frozen Redis answers once it wakes). Where no session named the account
   * before (none at all, or only a partition left without one), no session would ever name those
   * tokens and no sign-out could find them: their refresh token is revoked now, where the provider
   * can (elsewhere, Entra, such a partition lives until it expires). Where one did (another device),
   * it names the partition, and would carry on with the tokens if the write lands: not revoked.
   * Never rejects; the token is never logged.
   */
  async #unstoredSignIn(changes: string, inUseBefore: boolean, error: unknown): Promise<void> {
    if (inUseBefore) {
      this.#logger.warn({ err: error }, 'the tokens of a sign-in could not be stored; another session of the account would use them if the write lands late');
      return;
    }
    const revocation = await this.#revoker.revoke(changes);
    const what: Record<typeof revocation, string> = {
      revoked: 'its refresh token revoked at the provider, in case the write lands late',
      unsupported: 'the provider cannot revoke its refresh token: if the write lands late, the tokens stay until their partition expires',
      failed: 'revoking its refresh token failed: if the write lands late, the tokens stay until their partition expires',
      'not-attempted': 'it holds no refresh token',
    };
    this.#logger.warn({ err: error, revocation }, `the tokens of a sign-in could not be stored: ${what[revocation]}`);
  }

  async endSessionUrl(request: EndSessionRequest): Promise<string | undefined> {
    const metadata = await this.#providerDocuments.configuration();
    if (!metadata.end_session_endpoint) return undefined;
    const url = new URL(metadata.end_session_endpoint);
    url.searchParams.set('post_logout_redirect_uri', request.postLogoutRedirectUri);
    url.searchParams.set('client_id', this.#settings.clientId);
    if (request.logoutHint) url.searchParams.set('logout_hint', request.logoutHint);
    if (request.idTokenHint) url.searchParams.set('id_token_hint', request.idTokenHint);
    return url.toString();
  }

  /**
   * The ID token of `account`'s own sign-in from its partition, or `undefined`: the hint is
   * optional, so neither a missing partition nor a store that fails here may stop the sign-out
   * (which then meets the store itself), nor a slow one delay it by more than ID_TOKEN_HINT_READ_MS.
   * The token is never logged.
   */
  async idTokenHint(account: Pick<SignedInAccount, 'accountId' | 'sid'>): Promise<string | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ID_TOKEN_HINT_READ_MS} ms`)), ID_TOKEN_HINT_READ_MS);
    });
    try {
      const partition = await Promise.race([this.#tokenStore.read(account.accountId), late]);
      const idToken = partition && idTokenSecret(partition.data, this.#settings.clientId, account.accountId);
      return idToken !== undefined && ofProviderSession(idToken, account.sid) ? idToken : undefined;
    } catch (error) {
      this.#logger.warn({ err: error }, 'sign-out URL built without id_token_hint: the token store could not be read');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  trustsIssuer(iss: string): Promise<boolean> {
    return this.#providerDocuments.trustsIssuer(iss);
  }

  async cachedTokens(accountId: string): Promise<CachedToken[]> {
    // For display only, just after acquireTokenSilently checked the version: no second check.
    return [...((await this.#views.lastChecked(accountId))?.held ?? [])];
  }

  /**
   * A warning MSAL gives for what is normal with a provider other than Entra: no `client_info` in a
   * token answer (Entra's own field; MSAL then keys the account by `sub`), written for every sign-in
   * and refresh (`generateHomeAccountId` in msal-common's src/cache/utils/AccountEntityUtils.ts).
   */
  #expectedOfOidc(message: string): boolean {
    return this.#settings.protocolMode === 'OIDC' && message.includes('No client info in response');
  }

  async #client(snapshot: string | undefined) {
    const metadata = await this.#providerDocuments.configuration();
    const plugin = new PartitionCachePlugin(snapshot);
    const client = new ConfidentialClientApplication({
      auth: {
        clientId: this.#settings.clientId,
        clientSecret: this.#settings.clientSecret,
        authority: this.#settings.authority,
        // Known authority + metadata given here: MSAL makes no instance discovery or discovery call.
        knownAuthorities: [new URL(this.#settings.authority).host],
        authorityMetadata: JSON.stringify(metadata),
        clientCapabilities: [...this.#settings.clientCapabilities],
      },
      cache: { cachePlugin: plugin },
      system: {
        protocolMode: this.#settings.protocolMode === 'AAD' ? ProtocolMode.AAD : ProtocolMode.OIDC,
        networkClient: this.#networkClient,
        loggerOptions: {
          logLevel: this.#msalLogLevel,
          piiLoggingEnabled: false,
          // Called synchronously inside the request's work, so the line carries its request id.
          loggerCallback: (level, message) => {
            if (level === LogLevel.Error) this.#msalLogger.error(message);
            else if (level === LogLevel.Warning && !this.#expectedOfOidc(message)) this.#msalLogger.warn(message);
            else this.#msalLogger.debug(message);
          },
        },
      },
    });
    return { client, plugin };
  }
}

/**
 * The partition key MSAL derived from `client_info` (`<uid>.<utid>`) must name the user, and the
 * tenant where the token names one, of the verified ID token: every later sign-out finds the tokens
 * by it. Entra: `<oid>.<tid>`. Azure AD B2C: `<oid>-<policy>.<tid>`, from a token that carries the
 * object id as `sub` unless `oid` is asked for, and no `tid` (its tenant is in the issuer, which the
 * issuer rule holds to AUTHORITY). Without `client_info` MSAL keys the account by `sub`
 * (AccountEntity.generateHomeAccountId in lib/msal-common/src/cache/entities of
 * https://github.com/AzureAD/microsoft-authentication-library-for-js): nothing else to compare. A
 * key from `client_info` with no object id in the token to hold it to is refused.
 *
 * An Entra B2B guest (a user of another organisation invited into this app's tenant) is the one
 * case where the two name different objects by design: the token is this tenant's, with the `tid`
 * and `oid` of the guest object here, while `client_info` names the user's home account, in their
 * own tenant (MSAL's `homeAccountId` is always the home one; see
 * https://github.com/Azure-Samples/active-directory-aspnetcore-webapp-openidconnect-v2/issues/30,
 * every guest refused for this mismatch). Nothing in the token names the home account, so a key of
 * another tenant than the token's is taken as the guest's, as MSAL takes it, but only in Entra's
 * shape: both tenants are tenant ids (GUIDs, as Entra writes them), and the token's is the one its
 * issuer names (`https://<host>/<tid>/v2.0`, held to AUTHORITY by the issuer rule before this).
 */
function accountMatches(homeAccountId: string, claims: Record<string, unknown>): boolean {
  const { oid, tid, sub, iss } = claims;
  if (homeAccountId === sub) return true;
  const objectId = oid === undefined ? sub : oid;
  if (typeof objectId !== 'string' || objectId === '') return false;
  const dot = homeAccountId.lastIndexOf('.');
  if (dot < 0) return false;
  const [uid, utid] = [homeAccountId.slice(0, dot), homeAccountId.slice(dot + 1)];
  if (isGuestOfTheIssuersTenant(utid, tid, iss)) return uid !== '';
  if (uid !== objectId && !uid.startsWith(`${objectId}-`)) return false;
  return tid === undefined || utid === tid;
}

/**
 * Entra's tenant ids, as it writes them (lower case). Not oidc/authority.ts' `isTenantId`: that is
 * another adapter's (test/architecture.test.ts), and takes either case, for what operators type.
 */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A home tenant `utid` other than the token's `tid`, which is the tenant its Entra issuer names. */
function isGuestOfTheIssuersTenant(utid: string, tid: unknown, iss: unknown): boolean {
  if (typeof tid !== 'string' || typeof iss !== 'string' || !TENANT_ID.test(tid) || !TENANT_ID.test(utid) || utid === tid) return false;
  try {
    return new URL(iss).pathname === `/${tid}/v2.0`;
  } catch {
    return false;
  }
}

/**
 * Whether `idToken` was issued for provider session `sid` (the signing-out session's `sid`, as its
 * own sign-in verified it). The account's partition is shared by its sessions on every device, and
 * each sign-in replaces its ID token, so the one held may be another device's. As `id_token_hint` it
 * is "a hint about the End-User's current authenticated session with the Client" (RP-Initiated
 * Logout 1.0 §2), and a provider such as Keycloak looks up the session the hint's `sid` names and
 * ends that one (LogoutEndpoint in
 * https://github.com/keycloak/keycloak/blob/main/services/src/main/java/org/keycloak/protocol/oidc/endpoints/LogoutEndpoint.java):
 * another device's session would end, and this one's, on what may be a shared computer, would
 * stay. So the hint goes only when the token names this session.
 *
 * A session without a `sid` (a provider that issues none) takes a token without one as well: it
 * names the user and no session, so the provider can only end the session of the browser it
 * reaches, this one; leaving it out would only make every sign-out ask the user to confirm. A
 * token with a `sid` then comes from a sign-in other than this session's, and is not sent. The
 * token is read, not verified: it is the provider's own, stored after its sign-in was verified,
 * and the provider verifies the hint itself.
 */
function ofProviderSession(idToken: string, sid: string | undefined): boolean {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(idToken);
  } catch {
    return false; // not a JWT: nothing says whose session it is
  }
  return stringClaim(claims.sid) === sid;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Without a cache: every request reads and parses its partition. */
function uncachedViews(tokenStore: TokenStore, clientId: string, authority: string): PartitionViews {
  const current = async (accountId: string) => {
    const partition = await tokenStore.read(accountId);
    return partition && partitionView(partition.data, partition.version, accountId, clientId, authority);
  };
  return { lookup: async (accountId) => ({ view: await current(accountId), fromMemory: false }), lastChecked: current };
}
