import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { describeAuthority, isTenantId, singleTenantOf } from '../adapters/oidc/authority.ts';
import type { AllowedTenants } from '../adapters/oidc/issuer-rule.ts';
import { isSecureUrl } from '../adapters/oidc/secure-url.ts';
import { DEFAULT_TOKEN_TTL_SECONDS } from '../ports/token-store.port.ts';
import { ConfigError } from './config-error.ts';
import { isProduction } from './production-mode.ts';

/**
 * Configuration, parsed once from the environment into a typed, frozen object. Every problem
 * names the exact variable, and the app refuses to start rather than guess.
 */
export interface Config {
  readonly production: boolean;
  readonly port: number;
  /** Interface to listen on; `undefined`: every interface. */
  readonly host: string | undefined;
  readonly publicUrl: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly authority: string;
  /** Tenants whose users may sign in (the ID token's `tid`), `*` for any; `[]`: no restriction. */
  readonly allowedTenants: AllowedTenants;
  /** Declared to the provider (`cp1`: the app handles Continuous Access Evaluation claims challenges). */
  readonly clientCapabilities: readonly string[];
  /** Allowed clock difference with the provider when checking token times. */
  readonly clockSkewSeconds: number;
  /** How old an ID token may be when the code is redeemed. */
  readonly idTokenMaxAgeSeconds: number;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiUrl: string;
  readonly apiScopes: readonly string[];
  readonly tokenStore: 'sqlite' | 'memory' | 'redis';
  readonly sqlitePath: string;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  /** AES-256 keys for token partitions, newest first; empty only with ALLOW_PLAINTEXT_TOKENS=true. */
  readonly tokenEncryptionKeys: readonly Buffer[];
  /** Set deliberately (ALLOW_PLAINTEXT_TOKENS=true): tokens stored unencrypted; the app warns at start. */
  readonly allowPlaintextTokens: boolean;
  /** Sign-outs accepted during a shared-store outage, kept until applied (TOKEN_STORE=redis). One file per instance. */
  readonly signOutJournalPath: string;
  /**
   * The default path before it named the app (`undefined` when SIGN_OUT_JOURNAL_PATH is set): a
   * journal an earlier version left there is taken into this one at start, so an upgrade drops none.
   */
  readonly formerSignOutJournalPath: string | undefined;
  /** The provider sends `iss` with front-channel sign-out (Entra does not): refuse requests without it. */
  readonly frontChannelRequiresIss: boolean;
  readonly sessionKeys: readonly string[];
  readonly sessionCookieName: string;
  /** The app's name in every page's header and title (two apps side by side in a browser's tabs tell themselves apart). */
  readonly appName: string;
  readonly sessionTtlMs: number;
  readonly tokenTtlSeconds: number;
  /** Parsed token partitions kept in memory per instance (access tokens only), 0 for none. */
  readonly partitionsInMemory: number;
  readonly httpTimeoutMs: number;
  readonly trustProxy: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** `json` lines (production default) or `pretty` (development default). */
  readonly logFormat: 'json' | 'pretty';
  /** Where `/metrics` is served; `undefined`: nowhere (the default). Never the app's own port. */
  readonly metricsPort: number | undefined;
  readonly metricsHost: string | undefined;
  /** The variable `metricsHost` came from (HOST's value when METRICS_HOST is unset): what a listen failure names. */
  readonly metricsHostVariable: 'METRICS_HOST' | 'HOST';
  /** How long in-flight requests may run after SIGTERM before they are cut. */
  readonly shutdownGraceMs: number;
  /** A session ends this long after sign-in however active it is (the idle lifetime is sessionTtlMs). */
  readonly sessionAbsoluteTtlMs: number;
}

export { ConfigError }; // defined apart (config-error.ts) for production-mode.ts; imported from here by the rest of the app

type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigFallbacks {
  /** Session cookie signing keys for development when SESSION_KEYS is not set. */
  readonly devSessionKeys?: () => string[];
  /** Token encryption keys (base64) for development when TOKEN_ENCRYPTION_KEYS is not set, with a SQLite or memory store. */
  readonly devTokenEncryptionKeys?: () => string[];
}

export function loadConfig(env: Env, fallbacks: ConfigFallbacks = {}): Config {
  const production = isProduction(env);
  const port = integer(env, 'PORT', 3000, 0, 65535);
  // Outside production PUBLIC_URL may be left out: the app's own port on localhost (a port of 0, one
  // the system picks, cannot be known here). A fixed 3000 sent the provider's answer to a port where
  // nothing listened once PORT was moved.
  const publicUrl = originOnly(httpsUnlessLocal(url(env, 'PUBLIC_URL', `http://localhost:${port || 3000}`), 'PUBLIC_URL'), 'PUBLIC_URL');
  const authority = withLowerCaseScheme(
    required(env, 'AUTHORITY', 'the identity provider, e.g. https://login.microsoftonline.com/<tenant-id> (see README, "Use Microsoft Entra ID")'),
  );
  if (!authority.startsWith('https://')) fail('AUTHORITY', 'must be an https:// URL (MSAL refuses http authorities)');
  url(env, 'AUTHORITY');
  refuseAuthorityExtras(authority);
  const allowedTenants = tenants(env, describeAuthority(authority));
  const sessionKeys = entries(env, 'SESSION_KEYS', ',');
  // Before any fallback: with Redis every instance must have the same keys, so they must be given.
  if (tokenStoreOf(env) === 'redis' && sessionKeys.length === 0) {
    fail('SESSION_KEYS', 'is required with TOKEN_STORE=redis: every instance must sign cookies with the same keys. Generate one with `openssl rand -base64 32` and give the same value to every instance');
  }
  if (sessionKeys.length === 0) {
    if (production || !fallbacks.devSessionKeys) fail('SESSION_KEYS', 'is required: comma-separated random secrets that sign the session cookie (e.g. `openssl rand -base64 32`)');
    sessionKeys.push(...fromFallback('SESSION_KEYS', fallbacks.devSessionKeys));
  }
  const short = sessionKeys.findIndex((key) => key.length < 16);
  if (short >= 0) fail('SESSION_KEYS', `each key must be at least 16 characters: key ${short + 1} is ${sessionKeys[short]!.length}`);
  const apiScopes = scopes(env);
  const tokenStore = tokenStoreOf(env);
  const allowPlaintextTokens = flag(env, 'ALLOW_PLAINTEXT_TOKENS');
  // The same key twice, in base64 and in base64url, is the same key (a malformed one is refused below).
  let givenKeys = entries(env, 'TOKEN_ENCRYPTION_KEYS', ',', (key) => (ENCRYPTION_KEY.test(key) ? Buffer.from(key, 'base64').toString('hex') : key));
  // Both said: the keys would seal every partition and the flag would mean nothing (nor would
  // plaintext partitions written before be read: only sealed data is). One or the other.
  if (givenKeys.length > 0 && allowPlaintextTokens) {
    fail('ALLOW_PLAINTEXT_TOKENS', 'is true while TOKEN_ENCRYPTION_KEYS is set: tokens are encrypted whenever keys are given, so unset one of them (ALLOW_PLAINTEXT_TOKENS=true only runs without keys)');
  }
  // Outside production, with a store of this process's own (Redis: every instance needs the same key), generated.
  if (givenKeys.length === 0 && !allowPlaintextTokens && !production && tokenStore !== 'redis' && fallbacks.devTokenEncryptionKeys) {
    givenKeys = fromFallback('TOKEN_ENCRYPTION_KEYS', fallbacks.devTokenEncryptionKeys);
  }
  const tokenEncryptionKeys = givenKeys.map((key, i) => {
    const bytes = Buffer.from(key, 'base64');
    if (!ENCRYPTION_KEY.test(key) || bytes.length !== 32) {
      fail('TOKEN_ENCRYPTION_KEYS', `key ${i + 1} must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    }
    return bytes;
  });
  if (tokenEncryptionKeys.length === 0 && !allowPlaintextTokens) {
    fail(
      'TOKEN_ENCRYPTION_KEYS',
      'is required: refresh tokens are secrets and are encrypted at rest. Generate a key with `openssl rand -base64 32` ' +
        '(or set ALLOW_PLAINTEXT_TOKENS=true to store them unencrypted, deliberately)',
    );
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) fail('LOG_LEVEL', 'must be debug, info, warn, error or silent');
  const logFormat = env.LOG_FORMAT?.trim() || (production ? 'json' : 'pretty');
  if (logFormat !== 'json' && logFormat !== 'pretty') fail('LOG_FORMAT', `must be "json" or "pretty", not "${logFormat}"`);
  const metricsPort = env.METRICS_PORT?.trim() ? integer(env, 'METRICS_PORT', 0, 0, 65535) : undefined;
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    fail('METRICS_PORT', `must differ from PORT (${port}): metrics are never served on the public port`);
  }

  const config: Config = {
    production,
    port,
    host: host(env, 'HOST'),
    publicUrl,
    redirectUri: `${publicUrl}/auth/redirect`,
    postLogoutRedirectUri: `${publicUrl}/auth/signed-out`,
    authority: authority.replace(/\/$/, ''),
    allowedTenants,
    // Set but empty declares none: the one setting where empty is not unset, as the only way to turn
    // the Microsoft default `cp1` off.
    clientCapabilities: Object.freeze(capabilities(env, describeAuthority(authority).microsoft ? 'cp1' : '')),
    clockSkewSeconds: integer(env, 'CLOCK_SKEW_SECONDS', 300, 0, 3600),
    idTokenMaxAgeSeconds: integer(env, 'ID_TOKEN_MAX_AGE_SECONDS', 600, 60, 86400),
    clientId: required(env, 'CLIENT_ID', 'the application (client) id registered at the identity provider'),
    clientSecret: required(env, 'CLIENT_SECRET', 'the client secret registered at the identity provider'),
    apiUrl: withoutCredentials(httpsUnlessLocal(url(env, 'API_URL', 'https://graph.microsoft.com/v1.0/me'), 'API_URL'), 'API_URL'),
    apiScopes: Object.freeze(apiScopes),
    tokenStore,
    sqlitePath: env.SQLITE_PATH?.trim() || './data/app.db',
    // Checked only where it is used: a REDIS_URL left in the environment of a SQLite or memory app
    // is none of its business.
    redisUrl: tokenStore === 'redis' ? redisUrl(env) : DEFAULT_REDIS_URL,
    // The client id in the default prefix: two apps sharing one Redis never share partitions or sid indexes.
    // Empty is unset (as for every setting but CLIENT_CAPABILITIES): an empty prefix would share keys with every other app.
    redisKeyPrefix: env.REDIS_KEY_PREFIX?.trim() || `koa-msal:${required(env, 'CLIENT_ID', 'the application (client) id registered at the identity provider')}:`,
    tokenEncryptionKeys: Object.freeze(tokenEncryptionKeys),
    allowPlaintextTokens,
    frontChannelRequiresIss: flag(env, 'FRONT_CHANNEL_REQUIRE_ISS'),
    signOutJournalPath: env.SIGN_OUT_JOURNAL_PATH?.trim() || defaultSignOutJournalPath(required(env, 'CLIENT_ID', 'the application (client) id registered at the identity provider')),
    formerSignOutJournalPath: env.SIGN_OUT_JOURNAL_PATH?.trim() ? undefined : './data/sign-out-journal.json',
    sessionKeys: Object.freeze(sessionKeys),
    sessionCookieName: cookieName(env, 'SESSION_COOKIE_NAME', 'app.session'),
    appName: appName(env),
    sessionTtlMs: integer(env, 'SESSION_TTL_SECONDS', 8 * 3600, 60, 365 * 86400) * 1000,
    // Entra refresh tokens live up to 90 days: no partition is kept further ahead, even by a session.
    tokenTtlSeconds: integer(env, 'TOKEN_TTL_SECONDS', DEFAULT_TOKEN_TTL_SECONDS, 60, 365 * 86400),
    partitionsInMemory: integer(env, 'TOKEN_MEMORY_CACHE_ENTRIES', 10_000, 0, 1_000_000),
    httpTimeoutMs: integer(env, 'HTTP_TIMEOUT_MS', 10_000, 100, 120_000),
    trustProxy: flag(env, 'TRUST_PROXY'),
    logLevel: logLevel as Config['logLevel'],
    logFormat,
    metricsPort,
    metricsHost: host(env, 'METRICS_HOST') ?? host(env, 'HOST'),
    metricsHostVariable: host(env, 'METRICS_HOST') !== undefined ? 'METRICS_HOST' : 'HOST',
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    sessionAbsoluteTtlMs: integer(env, 'SESSION_ABSOLUTE_TTL_SECONDS', 7 * 86400, 60, 365 * 86400) * 1000,
  };
  // The app speaks plain HTTP (it has no TLS listener), so an https PUBLIC_URL means a proxy that
  // terminates TLS in front of it; without TRUST_PROXY every request looks like http to Koa, no
  // `Secure` cookie can be set, and every sign-in failed with a 500 once the app was running.
  // The scheme as a URL reads it (any case, RFC 3986 §3.1), as cookie-policy.ts decides on https:
  // PUBLIC_URL itself is kept as written.
  if (new URL(publicUrl).protocol === 'https:' && !config.trustProxy) {
    fail(
      'TRUST_PROXY',
      'must be true when PUBLIC_URL is https: the app speaks plain HTTP, so it runs behind a proxy or load balancer ' +
        'that terminates TLS; set TRUST_PROXY=true and have that proxy send X-Forwarded-Proto (without it the ' +
        "app cannot tell an https request from an http one, and no sign-in could set its secure cookies)",
    );
  }
  // Last, so that any other refusal is named first. The default serves development only: in
  // production the provider would send every user back to their own machine's port 3000.
  if (production && !env.PUBLIC_URL?.trim()) {
    fail('PUBLIC_URL', "is required in production: the app's public origin, e.g. https://app.example.com (its redirect URI is <PUBLIC_URL>/auth/redirect)");
  }
  return Object.freeze(config);
}

/**
 * ALLOWED_TENANTS: tenant ids, or `*` said explicitly. A multi-tenant Entra authority (`common`,
 * `organizations`) lets users of ANY tenant sign in; which ones may is the app's decision, so it
 * must be made before the app starts.
 */
function tenants(env: Env, authority: ReturnType<typeof describeAuthority>): AllowedTenants {
  const raw = env.ALLOWED_TENANTS?.trim() ?? '';
  if (raw === '*') return '*';
  const ids = entries(env, 'ALLOWED_TENANTS', ',', (id) => id.toLowerCase()).map((id) => id.toLowerCase());
  const bad = ids.find((id) => !isTenantId(id));
  if (bad !== undefined) fail('ALLOWED_TENANTS', `must be "*" or comma-separated tenant ids (GUIDs), not "${bad}"`);
  if (ids.length === 0 && authority.multiTenant) {
    fail(
      'ALLOWED_TENANTS',
      `is required with the multi-tenant AUTHORITY ".../${authority.tenantSegment}": users of any tenant could sign in. ` +
        'List the tenant ids allowed (comma-separated), or set ALLOWED_TENANTS=* to allow every tenant deliberately',
    );
  }
  const onlyTenant = singleTenantOf(authority);
  if (ids.length > 0 && onlyTenant !== undefined && !ids.includes(onlyTenant)) {
    fail(
      'ALLOWED_TENANTS',
      `does not name the tenant of AUTHORITY (${onlyTenant}): every token of a single-tenant authority carries that tid, ` +
        'so no one could sign in. Add it, or leave ALLOWED_TENANTS unset',
    );
  }
  return Object.freeze(ids);
}

/**
 * The client id in the default journal path: apps sharing a working directory (the dev stack's
 * app A and B, two apps on one host) each get their own file. Only `[A-Za-z0-9._-]` is kept; when
 * anything had to be replaced, a hash of the whole id keeps two ids apart that would read the same.
 */
export function defaultSignOutJournalPath(clientId: string): string {
  const safe = clientId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const part = safe === clientId ? safe : `${safe}-${createHash('sha256').update(clientId).digest('hex').slice(0, 12)}`;
  return `./data/sign-out-journal-${part}.json`;
}

function fail(name: string, problem: string): never {
  throw new ConfigError(`${name} ${problem}`);
}

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) fail(name, `is not set: set it to ${what}`);
  return value;
}

/**
 * The URL, which must be an origin: the app's routes are fixed at the root (`/auth/redirect`,
 * `/profile`, …), so a path would give the provider a redirect URI the app does not serve, and a
 * query or fragment one it could not match exactly (OpenID Connect Core §3.1.2.1). Kept as written
 * (the redirect URI registered at the provider is compared as a string), but for a trailing `/`.
 */
function originOnly(value: string, name: string): string {
  const parsed = new URL(value);
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '' || value.endsWith('?') || value.endsWith('#')) {
    throw new ConfigError(`${name} must be the app's origin only (scheme, host and port, e.g. https://app.example.com): the app serves its routes from the root, so no path, query or fragment`);
  }
  // It becomes the redirect URI the provider is given, and the origin forms are compared with.
  if (hasUserInfo(value)) {
    throw new ConfigError(`${name} must be the app's origin only (scheme, host and port, e.g. https://app.example.com), with no user name or password`);
  }
  // Otherwise kept as written, but `scheme://` must be written out, with nothing WHATWG URL parsing
  // drops or mends: `http:/localhost:3000`, `https:\\app.example` or a tab in the host started, and
  // the redirect URI the provider was given matched no registered one (every sign-in refused).
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^\\\s]*$/i.test(value)) {
    throw new ConfigError(`${name} must be written as an origin such as "${parsed.origin}": scheme, "://" and host, without backslashes or spaces`);
  }
  return value.replace(/\/$/, '');
}

/**
 * The URL with its scheme in lower case: schemes are case-insensitive (RFC 3986 §3.1), but the
 * checks here, MSAL and ioredis compare a literal `https://` or `rediss://` prefix.
 */
function withLowerCaseScheme(value: string): string {
  return value.replace(/^[a-z][a-z0-9+.-]*:/i, (scheme) => scheme.toLowerCase());
}

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * REDIS_URL, its scheme lower-cased: ioredis turns TLS on only for a URL that starts with
 * `rediss://` as written, so `REDISS://` would connect in plaintext and send the password in the
 * clear. Its value is never repeated in an error: it may hold a password.
 */
function redisUrl(env: Env): string {
  const value = withLowerCaseScheme(env.REDIS_URL?.trim() || DEFAULT_REDIS_URL);
  url({ REDIS_URL: value }, 'REDIS_URL', undefined, ['redis:', 'rediss:'], {
    hiddenBecause: 'its value is not shown, as it may hold a password; percent-encode @ : / ? # in the password',
  });
  // The path is the database number; ioredis would send anything else to SELECT as NaN, and its
  // refusal crashed the start with a stack trace.
  const parsed = new URL(value);
  // ioredis reads a query as client options, and they take the place of the app's own: no offline
  // queue, the command timeout, the retries (https://github.com/redis/ioredis/blob/v5.11.1/lib/utils/index.ts,
  // `parseURL`; lib/Redis.ts `parseOptions` puts them before the options object). `?db=abc` crashed
  // the start and `?db=99` ran in database 0.
  if (parsed.search !== '' || value.includes('?')) {
    fail('REDIS_URL', 'may not carry a query (ioredis would take it as client options in place of the app\'s own); its value is not shown, as it may hold a password');
  }
  // ioredis ignores a fragment: it is most likely a password's `#` not percent-encoded, cut off there.
  if (parsed.hash !== '' || value.includes('#')) {
    fail('REDIS_URL', 'may not carry a fragment (#…): percent-encode a # in the password as %23; its value is not shown, as it may hold a password');
  }
  if (!/^\/?\d*$/.test(parsed.pathname)) fail('REDIS_URL', 'may name a database by its number only (redis://host:6379/2); its value is not shown, as it may hold a password');
  // ioredis decodes the user name and password with decodeURIComponent, and a `%` not followed by
  // two hex digits (a password's own `%`, not encoded) threw URIError out of the start.
  if (!percentDecodable(parsed.username) || !percentDecodable(parsed.password)) {
    fail('REDIS_URL', 'has a user name or password that is not validly percent-encoded (write a % in it as %25); its value is not shown, as it may hold a password');
  }
  return value;
}

function percentDecodable(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** A URL setting with one of `protocols` (default: http or https); `hiddenBecause`: errors never show the value. */
function url(
  env: Env,
  name: string,
  fallback?: string,
  protocols: readonly string[] = ['https:', 'http:'],
  { hiddenBecause }: { hiddenBecause?: string } = {},
): string {
  const value = env[name]?.trim() || fallback;
  if (value === undefined) fail(name, 'is not set');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    fail(name, hiddenBecause ? `is not a valid URL (${hiddenBecause})` : `is not a valid URL: "${withoutUserInfo(value)}"`);
  }
  if (!protocols.includes(parsed.protocol)) fail(name, `must be a ${protocols.map((protocol) => `${protocol}//`).join(' or ')} URL`);
  return value;
}

/**
 * AUTHORITY names the provider by scheme, host and path only: the discovery document's address is
 * made by appending to it (`/.well-known/openid-configuration`), so a query or a fragment would make
 * that another address (a 404, and an instance never ready), and a user name or password would be
 * refused by fetch at every try, and shown in the log with the address.
 */
function refuseAuthorityExtras(authority: string): void {
  const parsed = new URL(authority);
  if (parsed.search !== '' || parsed.hash !== '' || authority.endsWith('?') || authority.endsWith('#')) {
    fail('AUTHORITY', 'must not carry a query or fragment: the provider is named by its address alone, e.g. https://login.microsoftonline.com/<tenant-id>');
  }
  if (hasUserInfo(authority)) fail('AUTHORITY', 'must not carry a user name or password');
}

/**
 * A user name or password in a URL, also an empty one: WHATWG URL parsing drops the `@` of
 * `https://@host`, and reads `https:@host`, `https:/@host` and `https:\\@host` as the same, while
 * the value keeps it.
 */
function hasUserInfo(value: string): boolean {
  const parsed = new URL(value);
  // Tabs and line breaks anywhere are dropped by WHATWG URL parsing too (`https:\t//@host`).
  return parsed.username !== '' || parsed.password !== '' || /^[a-z][a-z0-9+.-]*:[\/\\]*[^/\\?#]*@/i.test(value.replace(/[\t\n\r]/g, ''));
}

/** The API is called with the user's access token, never with a user name and password in its URL. */
function withoutCredentials(value: string, name: string): string {
  if (hasUserInfo(value)) fail(name, 'must not carry a user name or password: the API is called with the user\'s access token');
  return value;
}

/** Keys a developer's machine supplies for an unset variable; one that cannot is a refusal naming the variable. */
function fromFallback(name: string, fallback: () => string[]): string[] {
  try {
    return fallback();
  } catch (error) {
    return fail(name, `is not set, and ${(error as Error).message}`);
  }
}

/** Tokens and cookies travel to this URL: https, except on this machine (development). */
function httpsUnlessLocal(value: string, name: string): string {
  if (!isSecureUrl(value)) fail(name, `must be an https:// URL (http is allowed for localhost only), not "${withoutUserInfo(value)}"`);
  return value;
}

/** `value` with any user name and password masked, for a refusal that shows it (a password must not reach a log). */
function withoutUserInfo(value: string): string {
  // Everything after the scheme up to the last `@`: a password with a `/`, `?`, `#` or a line break
  // in it, or one after `http:/` or `http:\\` (which URL parsing reads as `http://`), ends there too.
  // The scheme is optional: a value in quotes (`docker --env-file` keeps them) or `https//…` has none.
  return value.replace(/^((?:[a-z][a-z0-9+.-]*:)?(?:\/\/)?)[\s\S]*@/i, '$1***@');
}


function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  // Digits only: `Number` would also read `0x10`, `1e3`, `+5` or `5.0`. No sign either: every
  // setting is from 0 up, and `-0` read as 0 is a typo's answer, not the operator's.
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) fail(name, `must be a whole number from ${min} to ${max}, not "${raw}"`);
  return value;
}

function tokenStoreOf(env: Env): Config['tokenStore'] {
  const tokenStore = env.TOKEN_STORE?.trim() || 'sqlite';
  if (tokenStore !== 'sqlite' && tokenStore !== 'memory' && tokenStore !== 'redis') {
    fail('TOKEN_STORE', `must be "sqlite", "memory" or "redis", not "${tokenStore}"`);
  }
  return tokenStore;
}

/** A yes/no setting: unset or empty is `false`; anything but `true` or `false` is a mistake, not a `false`. */
function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim();
  if (!raw || raw === 'false') return false;
  if (raw === 'true') return true;
  return fail(name, `must be "true" or "false", not "${raw}"`);
}

/** An interface to listen on: an IP address or a host name (resolved when the app listens). */
function host(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (isIP(raw) === 0 && !HOST_NAME.test(raw)) fail(name, `must be an IP address or a host name, not "${raw}"`);
  return raw;
}

/** DNS labels; `_` too, which RFC 1123 host names lack but container service names may have. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** A cookie name: an RFC 6265 §4.1.1 `token` (no separators, spaces or `=`). */
const MAX_COOKIE_NAME_LENGTH = 64;

/** APP_NAME: shown, escaped, in the header and the title of every page; one line of at most 60 characters. */
function appName(env: Env): string {
  const raw = env.APP_NAME?.trim();
  if (!raw) return 'Koa + MSAL';
  // Controls (C0 and C1), line and paragraph separators, zero-width spaces, and the bidi
  // embeddings, overrides and isolates, which would turn the rest of the title around. Not every
  // format character: Persian needs the zero-width non-joiner, Sinhala and emoji sequences the
  // joiner, Hebrew and Arabic names may carry a direction mark.
  if (/[\p{Cc}\p{Zl}\p{Zp}\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]/u.test(raw)) {
    fail('APP_NAME', 'must be one line of text, without control characters, zero-width spaces or bidi overrides');
  }
  if ([...raw].length > 60) fail('APP_NAME', `must be at most 60 characters, not ${[...raw].length}`);
  return raw;
}

function cookieName(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(raw)) fail(name, `must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~ only), not "${raw}"`);
  // The pending sign-in cookie is named after it and fills the rest of the 4 KB a browser keeps
  // (pending-sign-in-cookie.ts): a longer name would make a browser drop it, and every sign-in with it.
  if (raw.length > MAX_COOKIE_NAME_LENGTH) fail(name, `must be at most ${MAX_COOKIE_NAME_LENGTH} characters, not ${raw.length}`);
  // Browsers keep a `__Secure-` cookie only if it is Secure, so on http every sign-in would be lost;
  // the app prefixes `__Host-` itself on https (cookie-policy.ts), which asks more of the browser.
  if (/^__secure-/i.test(raw)) fail(name, `must not begin with __Secure- (on https the app names its cookies __Host-<name> itself), not "${raw}"`);
  // Browsers match these prefixes in any case, and cookie-policy.ts takes off `__Host-` as written.
  if (/^__host-/i.test(raw) && !raw.startsWith('__Host-')) fail(name, `must begin with __Host- written so, if at all, not "${raw}"`);
  // What is left once cookie-policy.ts has taken the prefix off names the cookie on http: it must
  // be a name, and carry no prefix of its own, which a browser would hold to on http too.
  const rest = raw.startsWith('__Host-') ? raw.slice('__Host-'.length) : raw;
  if (!rest) fail(name, `must name the cookie after __Host-, not "${raw}"`);
  if (/^__(secure|host)-/i.test(rest)) fail(name, `must not hold a second prefix after __Host-, not "${raw}"`);
  return raw;
}

/** 32 bytes in base64 or base64url, padded or not. */
const ENCRYPTION_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/**
 * The entries of a comma-separated setting; unset or blank is none. An empty entry (`A,,B`, `,A`,
 * `A,`) or one given twice (as `sameAs` compares them) is refused, naming its position, never its
 * value: a key rotation written `${NEW},${OLD}` with NEW unset went on with the old key alone,
 * without a word.
 */
function entries(env: Env, name: string, separator: string, sameAs: (entry: string) => string = (entry) => entry): string[] {
  const raw = env[name]?.trim() ?? '';
  if (raw === '') return [];
  const items = raw.split(separator).map((item) => item.trim());
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    if (item === '') fail(name, `entry ${i + 1} is empty (entries are separated by "${separator}")`);
    const key = sameAs(item);
    const first = seen.get(key);
    if (first !== undefined) fail(name, `entry ${i + 1} repeats entry ${first + 1}`);
    seen.set(key, i);
  });
  return items;
}

/**
 * API_SCOPES: space-separated scope tokens (RFC 6749 §3.3), each once. A comma, legal in a scope
 * but in none Entra or the usual providers issue, is refused as a list written with commas: the
 * provider took `a,b` for one scope it did not know, and every page was a 403.
 */
function scopes(env: Env): string[] {
  const raw = env.API_SCOPES?.trim() || 'User.Read';
  const items = raw.split(/\s+/);
  const bad = items.find((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope));
  if (bad !== undefined) fail('API_SCOPES', `holds "${bad}", which is not a scope (RFC 6749 §3.3: no quotes, backslashes or characters outside ASCII)`);
  if (items.some((scope) => scope.includes(','))) fail('API_SCOPES', 'is separated by spaces, not commas (e.g. "api://my-api/Read api://my-api/Write")');
  const seen = new Set<string>();
  for (const scope of items) {
    if (seen.has(scope)) fail('API_SCOPES', `names "${scope}" twice`);
    seen.add(scope);
  }
  return items;
}

/**
 * CLIENT_CAPABILITIES: comma-separated capability names (`cp1`), each once; set but empty declares
 * none, the one setting where empty is not unset, as the only way to turn the Microsoft default off.
 */
function capabilities(env: Env, fallback: string): string[] {
  if (env.CLIENT_CAPABILITIES === undefined) return fallback ? [fallback] : [];
  const names = entries(env, 'CLIENT_CAPABILITIES', ',', (name) => name.toLowerCase());
  const bad = names.find((name) => !/^[A-Za-z0-9_-]+$/.test(name));
  if (bad !== undefined) fail('CLIENT_CAPABILITIES', `must be comma-separated capability names such as cp1, not "${bad}"`);
  return names;
}

/**
 * How long a sign-in's write keeps a new token partition before its session does: no longer than
 * the session that sign-in starts can live (`keepUntil` extends it as the session goes on), and
 * never beyond TOKEN_TTL_SECONDS.
 */
export function tokenPartitionTtlSeconds(config: Pick<Config, 'sessionTtlMs' | 'sessionAbsoluteTtlMs' | 'tokenTtlSeconds'>): number {
  return Math.min(config.tokenTtlSeconds, Math.min(config.sessionTtlMs, config.sessionAbsoluteTtlMs) / 1000);
}
