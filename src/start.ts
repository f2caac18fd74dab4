/**
 * `npm start`. With AUTHORITY set (environment or `.env`), one app instance against that provider.
 * Without it, the offline dev stack: the bundled identity provider, the demo API and two apps,
 * on loopback only, and never with NODE_ENV=production (nor with a NODE_ENV it does not know): a
 * secret that was never injected must not turn a production deploy into a demo with known passwords.
 */
import { ConfigError } from './app/config-error.ts';
import { loadDotEnvOrExit } from './app/dot-env.ts';
import { isProductionOrExit } from './app/production-mode.ts';

loadDotEnvOrExit('Cannot start');

const PROVIDER_SETTINGS = '(AUTHORITY, CLIENT_ID, CLIENT_SECRET, ...; see README "Use Microsoft Entra ID")';

// Refused before anything depends on it: an unknown NODE_ENV (`prod`) taken for development would
// start the offline stack with its demo users, or generate keys, where production was meant.
const production = isProductionOrExit(process.env, 'Cannot start');

if (process.env.AUTHORITY) {
  const { runServer } = await import('./app/server.ts');
  if (production) {
    await runServer();
  } else {
    // A developer against a real provider may leave SESSION_KEYS and TOKEN_ENCRYPTION_KEYS out:
    // keys are generated once into the folder of the SQLite file (data/).
    const { devKeyFiles, loadOrCreateDevKeys } = await import('./dev/dev-keys.ts');
    const files = devKeyFiles(process.env);
    // Said each time, so that a deploy that forgot NODE_ENV=production (and so its secrets) shows
    // it at start rather than running on keys generated on one machine's disk.
    const generated = (variable: string, file: string) => {
      const keys = loadOrCreateDevKeys(file);
      process.stderr.write(`${variable} is not set: using the development key in ${file} (NODE_ENV is not production; set ${variable} for any deploy)\n`);
      return keys;
    };
    await runServer({
      devSessionKeys: () => generated('SESSION_KEYS', files.sessionKeys),
      devTokenEncryptionKeys: () => generated('TOKEN_ENCRYPTION_KEYS', files.tokenEncryptionKeys),
    });
  }
} else if (production) {
  process.stderr.write(
    `Cannot start: AUTHORITY is not set. With NODE_ENV=production the app needs its identity provider ${PROVIDER_SETTINGS}; ` +
      'the offline dev stack never runs in production.\n',
  );
  process.exit(1);
} else {
  let devStack: typeof import('./dev/run-dev-stack.ts');
  try {
    devStack = await import('./dev/run-dev-stack.ts');
  } catch (error) {
    // The dev stack's packages (oidc-provider, selfsigned) are devDependencies: an install made
    // with `npm ci --omit=dev` has the app but not the offline stack.
    const missing = /^Cannot find package '([^']+)'/.exec((error as Error).message)?.[1];
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !missing) throw error;
    process.stderr.write(
      `Cannot start: AUTHORITY is not set, and the offline dev stack that runs without it is not installed ` +
        `(package "${missing}" is missing: this looks like a production install, npm ci --omit=dev). ` +
        `Set the identity provider ${PROVIDER_SETTINGS}, or run \`npm ci\` to get the dev stack.\n`,
    );
    process.exit(1);
  }
  await devStack.runDevStack().catch((error: unknown) => {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Cannot start: ${error.message}\n`);
    process.exit(1);
  });
}
