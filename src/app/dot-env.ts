import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * Variables Node reads once, as the process starts, before any code runs
 * (https://nodejs.org/api/cli.html#environment-variables): taken from `.env`, or dropped beside a
 * value the machine sets, they would do nothing. NODE_EXTRA_CA_CERTS so: the provider's private CA
 * would not be trusted, and every call to the provider would fail on its certificate.
 */
const READ_AT_PROCESS_START = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];

/**
 * Reads `.env` (if there is one) into the environment, for an entry point (`npm start`, `npm run
 * signout`); a variable already set in the environment wins over the file's. A file that cannot be
 * read, has a line that is no `NAME=value`, or sets a variable Node reads only as it starts to
 * another value than the environment's, stops the process with `<refusal>: <why>` on stderr and
 * exit code 1, not a stack trace.
 */
export function loadDotEnvOrExit(refusal: string, file = '.env'): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    exit(refusal, `${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  // UTF-16 (Notepad's "Unicode"): read as UTF-8, its settings came to nothing, without a word;
  // another encoding's letters (Windows-1252's `é`) became U+FFFD in a value.
  if (bytes.includes(0) || !isUtf8(bytes)) exit(refusal, `${file} is not UTF-8 text (UTF-16, another encoding, or it holds NUL bytes): save it as UTF-8`);
  // Without its byte order mark (an editor's "UTF-8 with BOM"): Node's parser keeps it in the
  // first name, so a first line `NODE_ENV=production` set `\uFEFFNODE_ENV`, and the app started
  // in development mode.
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  // Node's parser drops a line it cannot read without a word (`NODE_ENV: production`): the setting
  // would silently not be made. The line is named by number, never shown: it may hold a secret.
  const unreadable = firstUnreadableLine(text);
  if (unreadable?.why === 'no-assignment') exit(refusal, `${file} line ${unreadable.line} is not NAME=value (or a # comment), so it would be ignored`);
  if (unreadable?.why === 'hash-in-value') {
    exit(refusal, `${file} line ${unreadable.line} has a # inside a value that is not quoted, where Node's parser ends the value: quote the value ("..." or '...')`);
  }
  const parsed = parseEnv(text);
  for (const name of READ_AT_PROCESS_START) {
    const value = parsed[name];
    if (value && value !== process.env[name]) {
      exit(
        refusal,
        `${name} is set in ${file}, but Node reads it only from the environment it starts with; set it there (e.g. ${name}=<value> npm start) and remove it from ${file}`,
      );
    }
  }
  for (const [name, value] of Object.entries(parsed)) if (process.env[name] === undefined && value !== undefined) process.env[name] = value;
}

/**
 * The first line (its number) that Node's parser would not read as written: neither blank, a
 * comment nor `[export] NAME=value` (`no-assignment`), or a value not quoted with a `#` in it that
 * follows no white space (`hash-in-value`): the parser ends a value at any `#`, so `SECRET=p#ss`
 * set `p`, while `A=1 # note` is a comment. A quoted value goes on to the line holding its closing
 * quote, where one does.
 */
function firstUnreadableLine(text: string): { line: number; why: 'no-assignment' | 'hash-in-value' } | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) return { line: i + 1, why: 'no-assignment' };
    const value = line.slice(equals + 1).trim();
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      if (value.indexOf(quote, 1) < 0) {
        const end = lines.findIndex((later, j) => j > i && later.includes(quote));
        if (end > 0) i = end;
      }
    } else if (/^#|[^\s]#/.test(line.slice(equals + 1))) {
      // Right after `=`, or after anything but white space: `A= # note` is an empty value and a note.
      return { line: i + 1, why: 'hash-in-value' };
    }
  }
  return undefined;
}

function exit(refusal: string, why: string): never {
  process.stderr.write(`${refusal}: ${why}\n`);
  process.exit(1);
}
