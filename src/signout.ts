/**
 * `npm run signout -- --subject <sub> | --account <home account id>`: the operator's sign-out
 * (src/app/operator-sign-out.ts). With AUTHORITY set (environment or `.env`), against the store the
 * app is configured with. Without it, against app A of the offline dev stack (`DEV_APP=b`: app B),
 * in a child process: only a starting process reads NODE_EXTRA_CA_CERTS, which makes it trust the
 * dev provider's certificate for revocation.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadDotEnvOrExit } from './app/dot-env.ts';
import { isProductionOrExit } from './app/production-mode.ts';

const { operatorArguments } = await import('./app/operator-sign-out.ts');
const output = { out: (text: string) => process.stdout.write(text), err: (text: string) => process.stderr.write(text) };
// `--help` and bad arguments answer before the environment is looked at (no AUTHORITY, say), and
// before `.env` is read.
const asked = operatorArguments(process.argv.slice(2), output);
if (typeof asked === 'number') process.exit(asked);

loadDotEnvOrExit('Cannot run');

// Refused as `npm start` refuses it: an unknown NODE_ENV (`prod`) taken for development would act
// on the offline stack's app, or with development keys, where production was meant.
const production = isProductionOrExit(process.env, 'Cannot run');

if (process.env.AUTHORITY) {
  const { runOperatorSignOut } = await import('./app/operator-sign-out.ts');
  let fallbacks = {};
  if (!production) {
    // The configuration wants SESSION_KEYS, which `npm start` generates for a developer; this
    // command signs no cookie, so a key of its own, never written, will do: it must create no file
    // (a folder, a key file) where it may find no database. The token key `npm start` generated
    // it reads, to revoke the refresh tokens it removes; without one no partition is sealed by it.
    const { devKeyFiles, readDevKeys } = await import('./dev/dev-keys.ts');
    fallbacks = {
      devSessionKeys: () => [randomBytes(32).toString('base64url')],
      devTokenEncryptionKeys: () => readDevKeys(devKeyFiles(process.env).tokenEncryptionKeys) ?? [randomBytes(32).toString('base64url')],
    };
  }
  process.exitCode = await runOperatorSignOut(process.argv.slice(2), process.env, undefined, fallbacks);
} else if (production) {
  process.stderr.write('Cannot run: AUTHORITY is not set. Run the command with the same environment as the app (see README "Configuration").\n');
  process.exitCode = 1;
} else {
  const { devOperatorEnvironment } = await import('./dev/dev-operator-environment.ts');
  let env: Record<string, string>;
  try {
    env = devOperatorEnvironment(process.env);
    const { unrecordedSettingsNote } = await import('./dev/dev-stack-settings.ts');
    const note = unrecordedSettingsNote(process.env, 'data');
    if (note) process.stderr.write(`Note: ${note}.\n`);
  } catch (error) {
    process.stderr.write(`Cannot run: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const operator = fileURLToPath(new URL('./app/operator-sign-out.ts', import.meta.url));
  const { PATH, HOME } = process.env;
  const child = spawnSync(process.execPath, [operator, ...process.argv.slice(2)], {
    env: { PATH, HOME, ...env },
    stdio: 'inherit',
  });
  process.exitCode = child.status ?? 1;
}
