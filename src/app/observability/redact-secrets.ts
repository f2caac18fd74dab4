import { types } from 'node:util';
import pino from 'pino';

/**
 * Blanks every field with one of the secret names below (an exact list, not a pattern), at any
 * depth, in what a line is about to write: tokens, authorization codes and PKCE verifiers, cookies
 * and authorization headers, client secrets, keys, a serialized token cache (`partition`, `cache`),
 * and a Redis command's `args`. Names are compared ignoring case, `-` and `_`, so a header keeps its
 * secret whether it is spelt `Set-Cookie`, `set_cookie` or `setCookie`.
 *
 * A walk and not pino's `redact` paths: paths name exact keys at fixed depths, so capitalised
 * headers, `form.code` and anything four levels down were written as they came, and the paths were
 * the dearer of the two. Cost of a line, measured with createLogger (JSON) writing into
 * `{ write() {} }`, 20,000 `logger.warn(obj, 'x')` after a warm-up, median of five runs, Node 24 on
 * the shared 2-core dev machine:
 *   - 3 plain fields: paths 300 µs, this walk 6–8 µs, no redaction at all 4–6 µs;
 *   - 7 fields, one nested object, one Error: paths 725–745 µs, walk 13–16 µs, none 9–11 µs;
 *   - logging.test.ts's `holder` (every secret): paths 960–1010 µs, walk 28–32 µs, none 20 µs.
 */
const SECRET_NAMES = new Set([
  'token', 'accessToken', 'refreshToken', 'idToken', 'logoutToken', 'idTokenHint', 'csrfToken', 'csrf',
  'assertion', 'clientAssertion', 'authorizationCode', 'codeVerifier',
  'cookie', 'cookies', 'setCookie', 'authorization', 'proxyAuthorization',
  'secret', 'secrets', 'clientSecret', 'clientSecrets', 'password', 'passphrase', 'apiKey', 'privateKey',
  'sessionKeys', 'tokenEncryptionKeys', 'cookieKeys', 'key', 'keys',
  'partition', 'cache',
  // A Redis command's arguments, which ioredis puts on its errors (`err.command = { name, args }`):
  // AUTH's carry the password, and a store command's carry session ids and data.
  'args',
].map(normalizedName));

/**
 * An authorization code travels as `code` in a query or a form. `code` is not blanked everywhere,
 * because it is also every Node error's code (`ECONNREFUSED`), which an operator needs: only at
 * the top of a line and directly inside one of these.
 */
const CODE_HOLDERS = new Set(['query', 'body', 'form', 'params', 'searchParams', 'request', 'redemption'].map(normalizedName));

const CENSOR = '[redacted]';
const CIRCULAR = '[Circular]';
const TOO_DEEP = '[too deep]';
/** Far deeper than anything the app logs; bounds the walk of a pathological object. */
const MAX_DEPTH = 32;

/** What `pino.stdSerializers.err` returns inherits from this, not from Object.prototype. */
const SERIALIZED_ERROR = Object.getPrototypeOf(pino.stdSerializers.err(new Error('probe'))) as object;

/** `Set-Cookie`, `set_cookie` and `setCookie` all become `setcookie`. */
export function normalizedName(name: string): string {
  return name.replace(/[-_]/g, '').toLowerCase();
}

/** What a field's name makes of it: a secret, a `code`, a code holder, or none of these. */
type Kind = 'secret' | 'code' | 'holder' | 'other';

/**
 * Field names repeat from line to line, and normalizing one is most of the walk's cost. Bounded, so
 * objects keyed by ids (a map of sessions) cannot grow it without end.
 */
const KINDS = new Map<string, Kind>();
const KINDS_MAX = 2000;

function kindOf(name: string): Kind {
  let kind = KINDS.get(name);
  if (kind === undefined) {
    const normalized = normalizedName(name);
    kind = SECRET_NAMES.has(normalized) ? 'secret' : normalized === 'code' ? 'code' : CODE_HOLDERS.has(normalized) ? 'holder' : 'other';
    if (KINDS.size < KINDS_MAX) KINDS.set(name, kind);
  }
  return kind;
}

/**
 * `fields` with each secret replaced by `[redacted]`, each Error by its serialization (type,
 * message and stack with causes, own fields), each object that contains itself by `[Circular]`.
 * Copy on write: the caller's objects are never changed, and `fields` itself comes back when there
 * was nothing to change. Arrays, plain objects, Errors and the own fields of other class instances
 * are walked (a copy of an instance is a plain object: JSON writes the same); what has a `toJSON`
 * (Date, URL, Buffer), typed arrays, Maps and Sets are written as they are.
 */
export function redactSecrets<T extends object>(fields: T): T {
  return redactValue(fields, true, []) as T;
}

function redactValue(value: unknown, codeIsSecret: boolean, ancestors: object[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return CIRCULAR;
  if (ancestors.length >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return redactArray(value, codeIsSecret, ancestors);
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === Object.prototype || prototype === null || prototype === SERIALIZED_ERROR) return redactFields(value, codeIsSecret, ancestors);
  if (!types.isNativeError(value) && !(value instanceof Error)) {
    // Written by JSON.stringify: what a toJSON gives (a Date's, a URL's, a Buffer's text or bytes),
    // a typed array's items, a Map's or a Set's nothing at all; any other instance, its own fields,
    // which are walked as a plain object's.
    const ownFieldsWritten = typeof (value as { toJSON?: unknown }).toJSON !== 'function' && !ArrayBuffer.isView(value) && !(value instanceof Map) && !(value instanceof Set);
    return ownFieldsWritten ? redactFields(value, codeIsSecret, ancestors) : value;
  }
  // The error itself is an ancestor of its serialization: a field pointing back at it is a cycle.
  ancestors.push(value);
  const serialized = pino.stdSerializers.err(value as Error) as object;
  const redacted = redactFields(serialized, codeIsSecret, ancestors);
  ancestors.pop();
  return redacted;
}

function redactFields(fields: object, codeIsSecret: boolean, ancestors: object[]): object {
  ancestors.push(fields);
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = (fields as Record<string, unknown>)[key];
    const kind = kindOf(key);
    const isSecret = kind === 'secret' || (kind === 'code' && codeIsSecret);
    // An undefined secret is left out of the line, as pino leaves out every undefined field.
    const redacted = isSecret ? (value === undefined ? value : CENSOR) : redactValue(value, kind === 'holder', ancestors);
    if (redacted === value) continue;
    copy ??= { ...fields };
    // A JSON-parsed body may hold an own `__proto__` key; plain assignment would set the prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
    else copy[key] = redacted;
  }
  ancestors.pop();
  return copy ?? fields;
}

/** Array items count as sitting where the array sits: `query: [{ code }]` blanks the code. */
function redactArray(items: readonly unknown[], codeIsSecret: boolean, ancestors: object[]): readonly unknown[] {
  ancestors.push(items);
  let copy: unknown[] | undefined;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const redacted = redactValue(item, codeIsSecret, ancestors);
    if (redacted === item) continue;
    copy ??= [...items];
    copy[index] = redacted;
  }
  ancestors.pop();
  return copy ?? items;
}
