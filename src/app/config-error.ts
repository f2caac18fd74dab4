/**
 * A setting the app refuses, naming its variable: the process stops with the message, not a stack.
 * Its own module so that production-mode.ts, which config.ts reads, can throw it too.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
