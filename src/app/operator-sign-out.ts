import { asValue } from 'awilix';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { OperatorTarget } from '../domain/sign-out-everywhere.ts';
import { SignOutRejected, StoreUnavailable } from '../domain/errors.ts';
import { failedResult, type SignOutResult } from '../domain/sign-out-result.ts';
import { ConfigError, loadConfig, type Config, type ConfigFallbacks } from './config.ts';
import { createAppContainer } from './container.ts';
import { isMainModule } from './main-module.ts';
import { createLogger } from './observability/logger.ts';
import { storesReady } from './store-registrations.ts';
import { holdsKeysUnder } from '../adapters/redis/redis-key-prefix.ts';
import { holdsAppSchema } from '../adapters/sqlite/sqlite-database.ts';

const USAGE = `Usage: npm run signout -- --subject <sub> [--account <home account id>]
       npm run signout -- --account <home account id>

Signs a user out of this app, for incident response: ends every session of the user (--subject,
the ID token's sub) and of the account (--account, the token cache's home account id, <oid>.<tid>
of the user's home tenant with Entra: not a B2B guest's id in this tenant), removes the account's
tokens, and revokes the refresh token at the provider where it can. Uses the same store and
settings as the app (environment and .env).

Exit status: 0 done (or nothing stored), 1 refused configuration, store out of reach or failed,
2 bad arguments, 3 done here but the refresh token not revoked (the provider could not be reached
or refused, or the tokens could not be read with TOKEN_ENCRYPTION_KEYS).
`;

export interface OperatorOutput {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `npm run signout`: the operator's sign-out, built from the app's own configuration and composition
 * root, so it acts on exactly the store the app instances use (SQLite file or Redis). Resolves to
 * the exit code: 0 when done (including a user with nothing stored), 2 for bad arguments, 1 when
 * the configuration is refused, the store is out of its reach (memory, no SQLite file there or not
 * the app's, nothing at all under the Redis prefix), or the sign-out failed, and 3 when it was done
 * here but the refresh token removed was not revoked (`failed`: the provider could not be reached or
 * refused, or the partition could not be read with the configured keys). A script handling an
 * incident must not read that as all clear: the token stays usable at the provider.
 */
export async function runOperatorSignOut(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: OperatorOutput = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
  fallbacks: ConfigFallbacks = {},
): Promise<number> {
  const asked = operatorArguments(argv, output);
  if (typeof asked === 'number') return asked;
  const target = asked;
  let config;
  try {
    config = loadConfig(env, fallbacks);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.err(`Cannot run: ${error.message}\n`);
    return 1;
  }
  const outOfReach = storeOutOfReach(config);
  if (outOfReach) {
    output.err(`Cannot run: ${outOfReach}\n`);
    return 1;
  }
  // The audit event and warnings go to stderr as JSON lines, like the app's; the summary to stdout.
  // No sign-out journal: the command never journals (a store outage fails it, and the operator runs
  // it again), and the journal file belongs to the instance running beside it, which holds it.
  const container = createAppContainer(
    config,
    createLogger({ level: config.logLevel, format: 'json', destination: { write: (line: string) => output.err(line) } }),
    // Nor does it claim a SQLite file for its CLIENT_ID: a mistyped one would keep the app from starting.
    { signOutJournal: asValue(undefined), sqliteClaim: asValue('check' as const) },
  );
  const requestId = randomUUID();
  try {
    // The store is opened inside the audited work: a file that cannot be used (locked, from a newer
    // release) is a failed sign-out with its audit event too, as every sign-out has one.
    const result = await container.cradle.signOutAudit.around('operator', { requestId, subject: target.subject }, async () => {
      // Not waited for as an app instance waits (it answers 503 meanwhile): the run fails, to be run again.
      if (!(await storesReady(container.cradle))) throw new StoreUnavailable(`Redis at ${redisAddress(config.redisUrl)} (REDIS_URL) did not answer`);
      return container.cradle.signOutEverywhere.fromOperator(target);
    });
    // Nothing found, and nothing at all under the prefix: most likely not the app's REDIS_KEY_PREFIX
    // (or CLIENT_ID, which names the default) or database, where "nothing stored" would be a false
    // all-clear in an incident.
    if (result.outcome === 'nothing-held' && config.tokenStore === 'redis' && (await nothingUnderPrefix(container.cradle.redis, config.redisKeyPrefix, output))) {
      output.err(
        `Nothing stored under REDIS_KEY_PREFIX=${config.redisKeyPrefix} in this Redis database at all (reference ${requestId}): give the command the app's REDIS_KEY_PREFIX, CLIENT_ID and REDIS_URL (its database number too). An app instance of this version on that prefix and database keeps a key there (<prefix>app), so none has run there, or an earlier release that does not keep it holds no session now.\n`,
      );
      return 1;
    }
    output.out(summary(target, result, requestId));
    return result.partitionRemoved && result.revocation === 'failed' ? EXIT_NOT_REVOKED : 0;
  } catch (error) {
    // Refused before anything was done (--subject and --account of two users): the arguments' fault.
    if (error instanceof SignOutRejected) {
      output.err(`${error.message}\n`);
      return 2;
    }
    const doneText = doneBeforeFailing(failedResult('operator', target.subject, error));
    // Running it again helps when the store did not answer; not when the store cannot be used at all.
    const advice = error instanceof StoreUnavailable || isLocked(error) ? '; run the command again once the store answers' : '';
    output.err(`Sign-out failed (reference ${requestId}): ${error instanceof Error ? error.message : String(error)}\n${doneText}${advice}.\n`);
    return 1;
  } finally {
    await container.dispose();
  }
}

/** Signed out here, but the refresh token removed was not revoked (revocation `failed`). */
const EXIT_NOT_REVOKED = 3;

/** SQLite busy or locked when the command opened the file (another process's transaction): it passes. */
function isLocked(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * Whether the command cannot tell that it looked where the app writes: no key at all under the
 * prefix, or a check that could not be made (SCAN refused by an ACL, a timeout), which is said. Either
 * way "nothing stored" would be no all-clear.
 */
async function nothingUnderPrefix(redis: Redis, keyPrefix: string, output: OperatorOutput): Promise<boolean> {
  try {
    return !(await holdsKeysUnder(redis, keyPrefix));
  } catch (error) {
    output.err(`Could not check that anything is stored under REDIS_KEY_PREFIX=${keyPrefix}: ${error instanceof Error ? error.message : String(error)}\n`);
    return true;
  }
}

/**
 * Why this command, a process of its own, cannot reach the store the app instances use, if it cannot:
 * an empty store of its own would report every user as "nothing stored" while their tokens live on.
 */
function storeOutOfReach(config: Config): string | undefined {
  if (config.tokenStore === 'memory') {
    return 'TOKEN_STORE=memory keeps sessions and tokens inside each app process, out of this command\'s reach; restarting the app forgets them all.';
  }
  if (config.tokenStore === 'sqlite' && !existsSync(config.sqlitePath)) {
    return `no database at SQLITE_PATH=${config.sqlitePath} (${resolve(config.sqlitePath)}); give the command the app's SQLITE_PATH (a relative one is read from the folder the command runs in).`;
  }
  if (config.tokenStore === 'sqlite' && !holdsAppSchema(config.sqlitePath)) {
    return `SQLITE_PATH=${config.sqlitePath} (${resolve(config.sqlitePath)}) is not the app's database (no token partitions table: empty, or another program's); give the command the app's SQLITE_PATH.`;
  }
  return undefined;
}

/**
 * The command's arguments, read before anything else (the environment included, so `--help` and a
 * mistyped option answer the same wherever the command runs): the user to sign out, or the exit code
 * when there is nothing more to do (0 after `--help`, 2 for bad arguments, with the usage).
 */
export function operatorArguments(argv: readonly string[], output: OperatorOutput): OperatorTarget | number {
  if (argv.includes('--help') || argv.includes('-h')) {
    output.out(USAGE);
    return 0;
  }
  const target = parseTarget(argv);
  if (typeof target === 'string') {
    output.err(`${target}\n\n${USAGE}`);
    return 2;
  }
  return target;
}

function parseTarget(argv: readonly string[]): OperatorTarget | string {
  let values: { subject?: string[]; account?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { subject: { type: 'string', multiple: true }, account: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  // One user a run: a second --subject would otherwise replace the first, and the first user
  // would stay signed in while the command reported success.
  for (const option of ['subject', 'account'] as const) {
    const given = values[option]?.length ?? 0;
    if (given > 1) return `Name one user a run: --${option} is given ${given} times.`;
  }
  const subject = values.subject?.[0]?.trim();
  const accountId = values.account?.[0]?.trim();
  // Given but blank (`--account "$ACCOUNT"` with the variable unset): refused, not dropped, or a
  // run naming a subject too would sign out less than the operator asked and report success.
  for (const [option, value] of [['subject', subject], ['account', accountId]] as const) {
    if (value === '') return `--${option} is given without a value.`;
  }
  if (!subject && !accountId) return 'Name the user: --subject <sub>, --account <home account id>, or both.';
  return { ...(subject ? { subject } : {}), ...(accountId ? { accountId } : {}) };
}

const REVOCATION_TEXT: Record<SignOutResult['revocation'], string> = {
  revoked: 'revoked at the provider',
  failed: 'NOT revoked: the provider could not be reached or refused, or the partition could not be read with the configured TOKEN_ENCRYPTION_KEYS (see the log line above); the tokens are removed here all the same',
  unsupported: 'not revocable: the provider has no revocation endpoint (Microsoft Entra ID has none); removed here',
  'not-attempted': 'none held',
};

/** What a failed sign-out had done, for the operator: a removal, or only a revocation (SignOutEverywhere). */
export function doneBeforeFailing(done: SignOutResult): string {
  if (done.partitionRemoved) {
    return `The tokens were removed before the failure (refresh token: ${REVOCATION_TEXT[done.revocation]}); the sessions may not all have ended`;
  }
  if (done.revocation !== 'not-attempted') {
    // A removal that failed may still have been carried out, so its refresh token was revoked first.
    return `Removing the tokens failed, and the store may have carried it out all the same; their refresh token was sent for revocation first (outcome: ${done.revocation})`;
  }
  return 'Nothing was reported as done';
}

function summary(target: OperatorTarget, result: SignOutResult, requestId: string): string {
  const who = [target.subject && `subject ${target.subject}`, target.accountId && `account ${target.accountId}`].filter(Boolean).join(', ');
  if (result.outcome === 'nothing-held') {
    // Named by subject alone, tokens are found only through sessions: "no tokens" would be more than
    // the command knows (a partition may outlive its sessions until it expires).
    if (!target.accountId) {
      return `No session of ${who} in this app, so no tokens found through one. Tokens are found through the user's sessions; if the account may still hold tokens without a session, run again with --account <home account id>.\n`;
    }
    return `Nothing stored for ${who}: no session and no tokens in this app.\n`;
  }
  return [
    `Signed out ${who}${result.subject && !target.subject ? ` (subject ${result.subject})` : ''}:`,
    `  sessions ended:  ${result.sessionsEnded}`,
    `  tokens:          ${result.partitionRemoved ? 'removed' : 'none held'}`,
    `  refresh token:   ${result.partitionRemoved ? REVOCATION_TEXT[result.revocation] : 'none held'}`,
    `  reference:       ${requestId} (the audit event's requestId)`,
    // The provider's own session of each browser is not this app's to end: a browser that holds one
    // signs in again at its next page, without a password (nothing here can stop that).
    'Still signed in at the provider: a browser with that session (a stolen laptop) signs in to this app again without a password. For a stolen device or a compromised account, revoke the user\'s sessions at the provider too (Entra: "Revoke sessions").',
    '',
  ].join('\n');
}

// `npm run signout` (src/signout.ts) runs it in-process or, for the offline dev stack, as this file.
if (isMainModule(import.meta.url)) process.exitCode = await runOperatorSignOut(process.argv.slice(2), process.env);

/** Where REDIS_URL points, without its credentials: what an operator checks when it does not answer. */
function redisAddress(url: string): string {
  const { host } = new URL(url);
  return host || url.replace(/\/\/[^@/]*@/, '//');
}
