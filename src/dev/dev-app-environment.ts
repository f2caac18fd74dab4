/** What one app process of the dev stack is told about itself and the offline world. */
export interface DevAppSettings {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly sqlitePath: string;
  /** A tenant's issuer, or the `common` authority. */
  readonly authority: string;
  readonly caCertPath: string;
  readonly apiUrl: string;
  readonly apiScopes: string;
  readonly sessionKeys: readonly string[];
  readonly tokenEncryptionKeys: readonly string[];
  readonly logLevel: string;
  /** The provider sends `iss` with front-channel sign-out: the app then requires it. */
  readonly frontChannelSendsIss?: boolean;
  /** Merged last, so a caller can add settings (`ALLOWED_TENANTS`, `CLIENT_CAPABILITIES`) or override any default. */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The environment of one app process, exactly the variables the app reads in production plus
 * `NODE_EXTRA_CA_CERTS`, which makes it trust the dev provider's certificate (read only when a
 * process starts, which is why the apps are processes).
 */
export function devAppEnvironment(settings: DevAppSettings): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: settings.caCertPath,
    PORT: String(settings.port),
    // Loopback only, like the dev provider and the demo API: the demo users' password is public.
    HOST: '127.0.0.1',
    PUBLIC_URL: settings.url,
    AUTHORITY: settings.authority,
    CLIENT_ID: settings.clientId,
    CLIENT_SECRET: settings.clientSecret,
    API_URL: settings.apiUrl,
    API_SCOPES: settings.apiScopes,
    TOKEN_STORE: 'sqlite',
    SQLITE_PATH: settings.sqlitePath,
    SESSION_KEYS: settings.sessionKeys.join(','),
    TOKEN_ENCRYPTION_KEYS: settings.tokenEncryptionKeys.join(','),
    // Browsers share cookies across ports of one host: each app needs its own cookie name.
    SESSION_COOKIE_NAME: `${settings.name}.session`,
    // `app-a` → "App A": the two apps tell themselves apart in a browser's tabs and headers.
    APP_NAME: `App ${settings.name.slice(-1).toUpperCase()}`,
    LOG_LEVEL: settings.logLevel,
    // The dev provider is not a Microsoft host, so cp1 is declared explicitly (CAE is exercised offline).
    CLIENT_CAPABILITIES: 'cp1',
    ...(settings.frontChannelSendsIss ? { FRONT_CHANNEL_REQUIRE_ISS: 'true' } : {}),
    ...settings.extra,
  };
}
