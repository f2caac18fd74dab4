import { ConfigError } from '../app/config.ts';

/** Where the offline dev world listens unless told otherwise (`npm start` reads the same from the environment). */
export const DEV_PORTS = Object.freeze({ identityProvider: 5443, demoApi: 5080, appA: 3000, appB: 3001 });

/**
 * The port variable `name` (`PORT`, `SECOND_APP_PORT`, `DEV_IDP_PORT`, `DEMO_API_PORT`), or
 * `fallback` when unset or empty, for `npm start` and `npm run signout` alike: digits, 1–65535,
 * or a ConfigError naming the variable (`Number` would take `0x10`, `1e3`, or fail later as
 * `localhost:NaN` under another variable's name).
 */
export function devPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) throw new ConfigError(`${name} must be a port number, not "${env[name]}"`);
  return value;
}

/**
 * DEV_APP_AUTHORITY, for `npm start` and `npm run signout` alike: `tenant` (default: Contoso's own
 * authority) or `common` (the multi-tenant one), or a ConfigError naming the variable.
 */
export function devAppAuthority(env: NodeJS.ProcessEnv): 'tenant' | 'common' {
  const value = env.DEV_APP_AUTHORITY;
  if (value === undefined || value === '' || value === 'tenant') return 'tenant';
  if (value === 'common') return 'common';
  throw new ConfigError(`DEV_APP_AUTHORITY must be tenant or common, not "${value}"`);
}

/** The demo API's identifier: its access tokens' `aud` and the prefix of its scopes, as in Entra. */
export const DEMO_API_AUDIENCE = 'api://demo-api';
/** The scope name the demo API requires to read the profile. */
export const DEMO_API_PROFILE_SCOPE_NAME = 'Profile.Read';
/** Scope names the demo API defines; the second one lets the app show incremental consent. */
export const DEMO_API_SCOPE_NAMES: readonly string[] = Object.freeze([DEMO_API_PROFILE_SCOPE_NAME, 'Profile.Write']);
/** The scope the apps ask for, and the demo API requires, to read the profile. */
export const DEMO_API_SCOPE = `${DEMO_API_AUDIENCE}/${DEMO_API_PROFILE_SCOPE_NAME}`;
