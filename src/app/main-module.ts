import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Whether the module at `moduleUrl` (its `import.meta.url`) is the one Node was asked to run.
 * Not `file://${process.argv[1]}`: that differs from the module's URL for a path with a space or
 * any character URLs escape, and for a path through a symlink (Node runs the main module from its
 * real path unless --preserve-symlinks-main), and the script then silently did nothing.
 */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}
