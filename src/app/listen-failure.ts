import { ConfigError } from './config.ts';

/**
 * A listener that could not start, as a ConfigError naming the settings to change, so the app
 * stops with one line (server.ts prints it) instead of a stack trace. Other errors pass unchanged.
 */
export function listenFailure(error: unknown, settings: { port: string; host: string }, port: number, host: string | undefined): unknown {
  const code = (error as { code?: unknown }).code;
  const where = `${host ?? 'every interface'}, port ${port}`;
  if (code === 'EADDRINUSE') return new ConfigError(`${settings.port} ${port} is in use (${where}): choose another port or stop what holds it`);
  if (code === 'EACCES') return new ConfigError(`${settings.port} ${port} needs privileges this process does not have: choose a port above 1023`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL') {
    return new ConfigError(`${settings.host} "${host}" is not an address of this machine (${String(code)})`);
  }
  return error;
}
