import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` (if there is one) into the environment, for an entry point (`npm start`, `npm run
 * signout`); a variable already set in the environment wins over the file's. A file that cannot be
 * read, or that sets NODE_EXTRA_CA_CERTS to another value than the environment's, stops the process
 * with `<refusal>: <why>` on stderr and exit code 1, not a stack trace. Node reads
 * NODE_EXTRA_CA_CERTS once, as the process starts, before any code runs
 * (https://nodejs.org/api/cli.html#node_extra_ca_certsfile): taken from `.env`, or dropped beside
 * a value the machine sets, the provider's private CA would not be trusted, and every call to the
 * provider would fail on its certificate.
 */
export function loadDotEnvOrExit(refusal: string, file = '.env'): void {
  let parsed: NodeJS.Dict<string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    exit(refusal, `${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const ca = parsed.NODE_EXTRA_CA_CERTS;
  if (ca && ca !== process.env.NODE_EXTRA_CA_CERTS) {
    exit(
      refusal,
      `NODE_EXTRA_CA_CERTS is set in ${file}, but Node reads it only from the environment it starts with; set it there (e.g. NODE_EXTRA_CA_CERTS=/path/ca.pem npm start) and remove it from ${file}`,
    );
  }
  for (const [name, value] of Object.entries(parsed)) if (process.env[name] === undefined && value !== undefined) process.env[name] = value;
}

function exit(refusal: string, why: string): never {
  process.stderr.write(`${refusal}: ${why}\n`);
  process.exit(1);
}
