/**
 * The environment of one app instance against a fake provider, for tests that start the server
 * themselves (`startServer`): a memory store, fixed test keys, any free port, no logs. `more` adds
 * or overrides settings.
 */
export function serverEnv(provider: { authority: string; clientId: string }, more: Record<string, string> = {}): Record<string, string> {
  return {
    AUTHORITY: provider.authority,
    CLIENT_ID: provider.clientId,
    CLIENT_SECRET: 'secret',
    SESSION_KEYS: 'k'.repeat(32),
    TOKEN_ENCRYPTION_KEYS: Buffer.alloc(32, 5).toString('base64'),
    TOKEN_STORE: 'memory',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...more,
  };
}
