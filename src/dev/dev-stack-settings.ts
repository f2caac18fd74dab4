import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSecretsFile } from './secrets-file.ts';

/** The settings of `npm start` that `npm run signout` must share to act on the same app at the same provider. */
export const RECORDED_SETTINGS = ['DEV_APP_AUTHORITY', 'PORT', 'SECOND_APP_PORT', 'DEV_IDP_PORT', 'DEMO_API_PORT'] as const;
type RecordedSetting = (typeof RECORDED_SETTINGS)[number];

const FILE = 'dev-stack-settings.json';

/**
 * Written by the offline stack once it runs: the authority its apps were given and the ports it took.
 * Without it, `npm run signout` run without `DEV_APP_AUTHORITY=common` beside a stack started with it
 * revoked a Fabrikam user's refresh token at Contoso's endpoint, which answers 200 for a token it
 * does not know (RFC 7009 §2.2), and reported it revoked.
 */
export function recordDevStackSettings(dataDir: string, settings: Record<RecordedSetting, string>): void {
  writeSecretsFile(join(dataDir, FILE), settings);
}

/**
 * A note for the operator when the stack has recorded nothing (never started here, or last started
 * by a release from before it recorded its settings): the command then takes the defaults for
 * whatever it is not given, which may not be what that stack runs with. Undefined when recorded.
 */
export function unrecordedSettingsNote(env: NodeJS.ProcessEnv, dataDir: string): string | undefined {
  if (existsSync(join(dataDir, FILE))) return undefined;
  const defaulted = RECORDED_SETTINGS.filter((name) => !env[name]?.trim());
  if (defaulted.length === 0) return undefined;
  return `${join(dataDir, FILE)} is missing (a stack started by an earlier release records nothing): using the defaults for ${defaulted.join(', ')}; if the stack was started with other values, give them here too`;
}

/**
 * `env` with every recorded setting it leaves unset (or empty) filled in from the stack's last
 * start, so the operator command acts as that stack did unless told otherwise. No file (a stack
 * started before this was recorded): `env` as it is.
 */
export function withDevStackSettings(env: NodeJS.ProcessEnv, dataDir: string): NodeJS.ProcessEnv {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return env;
  let recorded: unknown;
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    recorded = undefined;
  }
  const settings = recorded as Record<string, unknown> | null;
  const fits = (name: RecordedSetting) => {
    const value = settings?.[name];
    return typeof value === 'string' && (name === 'DEV_APP_AUTHORITY' ? /^(?:tenant|common)$/ : /^[0-9]{1,5}$/).test(value);
  };
  if (typeof settings !== 'object' || settings === null || !RECORDED_SETTINGS.every(fits)) {
    throw new Error(`${file} is not what \`npm start\` writes: delete it, or start the stack again`);
  }
  const filled: NodeJS.ProcessEnv = { ...env };
  for (const name of RECORDED_SETTINGS) if (!env[name]?.trim()) filled[name] = settings[name] as string;
  return filled;
}
