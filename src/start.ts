/**
 * `npm start`. With AUTHORITY set (environment or `.env`), one app instance against that provider.
 * Without it, the offline dev stack: the bundled identity provider, the demo API and two apps.
 */
import { existsSync } from 'node:fs';

if (existsSync('.env')) process.loadEnvFile('.env');

if (process.env.AUTHORITY) {
  const { runServer } = await import('./app/server.ts');
  await runServer();
} else {
  const { runDevStack } = await import('./dev/run-dev-stack.ts');
  await runDevStack();
}
