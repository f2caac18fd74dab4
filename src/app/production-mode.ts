/**
 * Whether the process runs in production (`NODE_ENV=production`), where nothing is generated for a
 * missing secret and the offline stack never starts. Read as written but for case and surrounding
 * spaces: `Production` or `"production "` (a quoted value in a manifest) meaning development would
 * turn a production deploy into a demo with generated keys, failing open.
 */
export function isProduction(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.NODE_ENV?.trim().toLowerCase() === 'production';
}
