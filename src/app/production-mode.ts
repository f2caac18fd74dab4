import { ConfigError } from './config-error.ts';

/** What NODE_ENV may say (unset or empty: development). */
const NODE_ENV_VALUES = ['development', 'test', 'production'];

/**
 * Whether the process runs in production (`NODE_ENV=production`), where nothing is generated for a
 * missing secret and the offline stack never starts. Read as written but for case and surrounding
 * spaces: `Production` or `"production "` (a quoted value in a manifest) meaning development would
 * turn a production deploy into a demo with generated keys, failing open. Any other value
 * (`prod`, `prodution`, `staging`) is refused, a ConfigError naming NODE_ENV, for the same reason.
 */
export function isProduction(env: Readonly<Record<string, string | undefined>>): boolean {
  const mode = env.NODE_ENV?.trim().toLowerCase() || 'development';
  if (!NODE_ENV_VALUES.includes(mode)) {
    throw new ConfigError(`NODE_ENV must be production, development or test (any case), or unset, not "${env.NODE_ENV}"`);
  }
  return mode === 'production';
}

/**
 * `isProduction` for an entry point (`npm start`, `npm run signout`), asked before anything depends
 * on it: an unknown NODE_ENV stops the process with `<refusal>: <why>` on stderr and exit code 1.
 */
export function isProductionOrExit(env: Readonly<Record<string, string | undefined>>, refusal: string): boolean {
  try {
    return isProduction(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${refusal}: ${error.message}\n`);
    process.exit(1);
  }
}
