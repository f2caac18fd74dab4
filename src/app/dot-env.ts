import { existsSync } from 'node:fs';

/**
 * Reads `.env` (if there is one) into the environment, for an entry point (`npm start`, `npm run
 * signout`): a file that cannot be read, or that sets NODE_EXTRA_CA_CERTS, stops the process with
 * `<refusal>: <why>` on stderr and exit code 1, not a stack trace. Node reads NODE_EXTRA_CA_CERTS
 * once, as the process starts, before any code runs
 * (https://nodejs.org/api/cli.html#node_extra_ca_certsfile): set in `.env`, the provider's private CA
 * would not be trusted, and every call to the provider would fail on its certificate.
 */
export function loadDotEnvOrExit(refusal: string, file = '.env'): void {
  if (!existsSync(file)) return;
  const before = process.env.NODE_EXTRA_CA_CERTS;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    exit(refusal, `${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (process.env.NODE_EXTRA_CA_CERTS !== before) {
    exit(
      refusal,
      `NODE_EXTRA_CA_CERTS is set in ${file}, but Node reads it only from the environment it starts with; set it there (e.g. NODE_EXTRA_CA_CERTS=/path/ca.pem npm start) and remove it from ${file}`,
    );
  }
}

function exit(refusal: string, why: string): never {
  process.stderr.write(`${refusal}: ${why}\n`);
  process.exit(1);
}
