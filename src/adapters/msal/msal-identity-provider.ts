import { ConfidentialClientApplication, LogLevel, ProtocolMode, type AuthenticationResult, type INetworkModule } from '@azure/msal-node';
import type { SignedInAccount } from '../../domain/account.ts';
import { IdentityProviderUnavailable, InteractionRequired } from '../../domain/errors.ts';
import type {
  AccessToken,
  CachedToken,
  AuthorizationRequest,
  CodeRedemption,
  EndSessionRequest,
  IdentityProvider,
  SilentTokenRequest,
} from '../../ports/identity-provider.port.ts';
import type { TokenStore } from '../../ports/token-store.port.ts';
import { codeRedemptionError, silentTokenError } from './msal-errors.ts';
import { PartitionCachePlugin } from './partition-cache-plugin.ts';
import { PartitionViewCache } from './partition-view-cache.ts';
import { cachedAccessToken, nowSeconds } from './partition-view.ts';
import { isMicrosoftAuthority, type ProviderMetadata } from './provider-metadata.ts';

export interface MsalSettings {
  readonly authority: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * IdentityProvider on @azure/msal-node. A new ConfidentialClientApplication for every operation,
 * holding only the one account's partition (see PartitionCachePlugin for why); building one costs
 * microseconds because the discovery document is passed in as `authorityMetadata`.
 */
export class MsalIdentityProvider implements IdentityProvider {
  private readonly settings: MsalSettings;
  private readonly tokenStore: TokenStore;
  private readonly providerMetadata: ProviderMetadata;
  private readonly networkClient: INetworkModule;
  private readonly logger: Logger;
  private readonly views: PartitionViewCache;

  constructor(deps: {
    msalSettings: MsalSettings;
    tokenStore: TokenStore;
    providerMetadata: ProviderMetadata;
    networkClient: INetworkModule;
    logger: Logger;
    /** Parsed partitions kept in memory (0: none); each is checked against the store's version. */
    partitionsInMemory?: number;
  }) {
    this.settings = deps.msalSettings;
    this.tokenStore = deps.tokenStore;
    this.providerMetadata = deps.providerMetadata;
    this.networkClient = deps.networkClient;
    this.logger = deps.logger;
    this.views = new PartitionViewCache(deps.tokenStore, deps.msalSettings.clientId, deps.partitionsInMemory ?? 0);
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<string> {
    const { client } = await this.client(undefined);
    return client.getAuthCodeUrl({
      scopes: [...request.scopes],
      redirectUri: this.settings.redirectUri,
      responseMode: 'query',
      state: request.state,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: 'S256',
      claims: request.claims,
      loginHint: request.loginHint,
      prompt: request.prompt,
    });
  }

  async redeemCode(redemption: CodeRedemption): Promise<SignedInAccount> {
    const { client, plugin } = await this.client(undefined);
    let result: AuthenticationResult;
    try {
      // The returned state goes in the second argument: only then does MSAL compare it (DESIGN.md).
      result = await client.acquireTokenByCode(
        {
          code: redemption.code,
          scopes: [...redemption.scopes],
          redirectUri: this.settings.redirectUri,
          codeVerifier: redemption.codeVerifier,
          state: redemption.state,
          nonce: redemption.nonce,
        },
        { code: redemption.code, state: redemption.state },
      );
    } catch (error) {
      throw codeRedemptionError(error);
    }
    const account = result.account;
    if (!account || !plugin.changes) throw new IdentityProviderUnavailable('the token response carried no account');
    // A fresh sign-in starts a fresh partition: no compare-and-set, it replaces what was there.
    await this.tokenStore.write(account.homeAccountId, plugin.changes);
    const claims = (result.idTokenClaims ?? {}) as Record<string, unknown>;
    return {
      accountId: account.homeAccountId,
      subject: stringClaim(claims.sub) ?? account.localAccountId,
      sid: stringClaim(claims.sid),
      username: account.username,
      name: account.name ?? undefined,
      loginHint: stringClaim(claims.login_hint),
    };
  }

  async acquireTokenSilently(request: SilentTokenRequest): Promise<AccessToken> {
    if (!request.forceRefresh) {
      const view = await this.views.get(request.accountId);
      if (!view) throw new InteractionRequired(request.scopes, undefined, { reason: 'no cached tokens' });
      const cached = cachedAccessToken(view, request.scopes, nowSeconds());
      if (cached) return cached;
    }
    const partition = await this.tokenStore.read(request.accountId);
    if (!partition) throw new InteractionRequired(request.scopes, undefined, { reason: 'no cached tokens' });
    const { client, plugin } = await this.client(partition.data);
    const account = await client.getTokenCache().getAccountByHomeId(request.accountId);
    if (!account) throw new InteractionRequired(request.scopes, undefined, { reason: 'account not in its partition' });
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
    // MSAL has been seen to return an empty token rather than throw (DESIGN.md).
    if (!result.accessToken) throw new IdentityProviderUnavailable('the provider returned no access token');
    if (plugin.changes) {
      const written = await this.tokenStore.write(request.accountId, plugin.changes, partition.version);
      // Not written: the user signed out (or another request refreshed) meanwhile. Dropping this
      // write is what keeps a signed-out user's tokens from coming back.
      if (!written) this.logger.warn('refreshed tokens not stored: partition changed meanwhile');
    }
    return {
      token: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(0),
      scopes: result.scopes,
    };
  }

  async endSessionUrl(request: EndSessionRequest): Promise<string | undefined> {
    const metadata = await this.providerMetadata.get();
    if (!metadata.end_session_endpoint) return undefined;
    const url = new URL(metadata.end_session_endpoint);
    url.searchParams.set('post_logout_redirect_uri', request.postLogoutRedirectUri);
    url.searchParams.set('client_id', this.settings.clientId);
    if (request.logoutHint) url.searchParams.set('logout_hint', request.logoutHint);
    return url.toString();
  }

  async issuer(): Promise<string> {
    return (await this.providerMetadata.get()).issuer;
  }

  async cachedTokens(accountId: string): Promise<CachedToken[]> {
    // For display only, just after acquireTokenSilently checked the version: no second check.
    return [...((await this.views.peek(accountId))?.held ?? [])];
  }

  private async client(snapshot: string | undefined) {
    const metadata = await this.providerMetadata.get();
    const plugin = new PartitionCachePlugin(snapshot);
    const client = new ConfidentialClientApplication({
      auth: {
        clientId: this.settings.clientId,
        clientSecret: this.settings.clientSecret,
        authority: this.settings.authority,
        // Known authority + metadata given here: MSAL makes no instance discovery or discovery call.
        knownAuthorities: [new URL(this.settings.authority).host],
        authorityMetadata: JSON.stringify(metadata),
      },
      cache: { cachePlugin: plugin },
      system: {
        protocolMode: isMicrosoftAuthority(this.settings.authority) ? ProtocolMode.AAD : ProtocolMode.OIDC,
        networkClient: this.networkClient,
        loggerOptions: {
          logLevel: LogLevel.Warning,
          piiLoggingEnabled: false,
          loggerCallback: (level, message) => {
            if (level === LogLevel.Error) this.logger.error('msal', { message });
          },
        },
      },
    });
    return { client, plugin };
  }
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
