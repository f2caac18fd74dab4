import { IdentityProviderUnavailable } from '../../domain/errors.ts';
import { describeAuthority, discoveryUrl } from './authority.ts';
import { fetchJson } from './fetch-json.ts';
import { isSecureUrl } from './secure-url.ts';
import { IssuerRule, type AllowedTenants } from './issuer-rule.ts';
import type { OpenIdConfiguration } from './openid-configuration.ts';

/** The URLs of the document this app sends to or fetches from: each must be https (loopback excepted). */
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint'] as const;
/**
 * The endpoints a provider may leave out. One given as `null` or an empty string is read as left out
 * (no RP-initiated sign-out, no revocation), not as a broken document: a provider that prints every
 * field of its settings, set or not, would otherwise take sign-in down for a feature it lacks.
 */
const OPTIONAL_ENDPOINTS = ['end_session_endpoint', 'revocation_endpoint'] as const;

export interface DiscoveredProvider {
  readonly configuration: OpenIdConfiguration;
  /** Which `iss` values tokens and sign-out requests may carry. */
  readonly issuerRule: IssuerRule;
}

/**
 * The provider's discovery document, fetched once and kept: every MSAL client is built with it as
 * `authorityMetadata`, and the token checks read the issuer and keys from it. A failed fetch is not
 * remembered (the next call tries again); an issuer that does not fit AUTHORITY is an
 * `IssuerMismatch`, which stops the app at start. A document missing a required endpoint, giving
 * one that is not https, or giving the signing algorithms as anything but a list of names is not
 * used: the provider is unavailable (503) until it serves a usable one.
 */
export class ProviderDiscovery {
  readonly #authority: string;
  readonly #allowedTenants: AllowedTenants;
  readonly #timeoutMs: number;
  #loading: Promise<DiscoveredProvider> | undefined;
  #discovered: DiscoveredProvider | undefined;

  constructor(deps: { authority: string; allowedTenants: AllowedTenants; httpTimeoutMs: number }) {
    this.#authority = deps.authority;
    this.#allowedTenants = deps.allowedTenants;
    this.#timeoutMs = deps.httpTimeoutMs;
  }

  get(): Promise<DiscoveredProvider> {
    this.#loading ??= this.#load().then(
      (discovered) => (this.#discovered = discovered),
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
    return this.#loading;
  }

  /** Whether the document is held, without fetching it (readiness asks this on every probe). */
  get loaded(): boolean {
    return this.#discovered !== undefined;
  }

  /** The document if it is held, without fetching it (for what must be answered at once). */
  get held(): OpenIdConfiguration | undefined {
    return this.#discovered?.configuration;
  }

  async configuration(): Promise<OpenIdConfiguration> {
    return (await this.get()).configuration;
  }

  async trustsIssuer(iss: string): Promise<boolean> {
    return (await this.get()).issuerRule.trusts(iss);
  }

  async issuerRefusal(iss: string): Promise<'iss' | 'tid' | undefined> {
    return (await this.get()).issuerRule.issuerRefusal(iss);
  }

  async #load(): Promise<DiscoveredProvider> {
    const url = discoveryUrl(this.#authority);
    const body = withoutEmptyOptionalEndpoints(await fetchJson(url, this.#timeoutMs));
    const missing = (['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const).filter(
      (field) => typeof body?.[field] !== 'string',
    );
    if (missing.length > 0) throw new IdentityProviderUnavailable(`discovery at ${url} has no ${missing.join(', ')}`);
    const insecure = ENDPOINTS.filter((field) => body![field] !== undefined && !(typeof body![field] === 'string' && isSecureUrl(body![field])));
    if (insecure.length > 0) {
      throw new IdentityProviderUnavailable(`discovery at ${url} gives ${insecure.join(', ')} not as https:// URLs (OpenID Connect Discovery 1.0 §3, RFC 7009 §2)`);
    }
    const algorithms = body!.id_token_signing_alg_values_supported;
    if (algorithms !== undefined && !(Array.isArray(algorithms) && algorithms.every((alg) => typeof alg === 'string'))) {
      throw new IdentityProviderUnavailable(`discovery at ${url} gives id_token_signing_alg_values_supported not as a list of names`);
    }
    const configuration = body as OpenIdConfiguration;
    return { configuration, issuerRule: new IssuerRule(describeAuthority(this.#authority), configuration.issuer, this.#allowedTenants) };
  }
}

function withoutEmptyOptionalEndpoints(document: unknown): Partial<OpenIdConfiguration> | null {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return null;
  const copy: Record<string, unknown> = { ...document };
  for (const field of OPTIONAL_ENDPOINTS) if (copy[field] === null || copy[field] === '') delete copy[field];
  return copy as Partial<OpenIdConfiguration>;
}
