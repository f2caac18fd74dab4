import type { INetworkModule } from '@azure/msal-node';
import { IdentityProviderUnavailable } from '../../domain/errors.ts';

/** The parts of an OpenID Provider's discovery document this app uses. */
export interface OpenIdConfiguration {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
  readonly [key: string]: unknown;
}

const MICROSOFT_HOSTS = /^(login\.microsoftonline\.(com|us)|login\.microsoft\.com|login\.windows\.net|login\.partner\.microsoftonline\.cn|login\.chinacloudapi\.cn|[a-z0-9-]+\.ciamlogin\.com)$/i;

/** Entra (and its sovereign clouds, External ID) speak MSAL's AAD dialect; others plain OIDC. */
export function isMicrosoftAuthority(authority: string): boolean {
  return MICROSOFT_HOSTS.test(new URL(authority).hostname);
}

/** Where the discovery document lives, following MSAL's own rule (Authority.defaultOpenIdConfigurationEndpoint). */
export function discoveryUrl(authority: string): string {
  const base = authority.endsWith('/') ? authority : `${authority}/`;
  if (base.endsWith('v2.0/') || !isMicrosoftAuthority(authority)) return `${base}.well-known/openid-configuration`;
  return `${base}v2.0/.well-known/openid-configuration`;
}

/**
 * Fetches the provider's discovery document once and keeps it. Every MSAL client is then built
 * with it as `authorityMetadata`, so a client per request costs no network round trip. A failed
 * fetch is not remembered: the next request tries again.
 */
export class ProviderMetadata {
  private readonly authority: string;
  private readonly networkClient: INetworkModule;
  private loading: Promise<OpenIdConfiguration> | undefined;

  constructor(deps: { authority: string; networkClient: INetworkModule }) {
    this.authority = deps.authority;
    this.networkClient = deps.networkClient;
  }

  get(): Promise<OpenIdConfiguration> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private async load(): Promise<OpenIdConfiguration> {
    const url = discoveryUrl(this.authority);
    let response;
    try {
      response = await this.networkClient.sendGetRequestAsync<OpenIdConfiguration>(url);
    } catch (error) {
      throw new IdentityProviderUnavailable(`discovery at ${url} failed`, { cause: error });
    }
    const body = response.body;
    if (response.status !== 200 || !body?.issuer || !body.authorization_endpoint || !body.token_endpoint) {
      throw new IdentityProviderUnavailable(`discovery at ${url} answered ${response.status} without an OpenID configuration`);
    }
    return body;
  }
}
