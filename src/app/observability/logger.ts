import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { redactSecrets } from './redact-secrets.ts';
import { currentRequestId } from './request-context.ts';

/** The one logger type of the app and its adapters: pino's. Call shape: `logger.info({ fields }, 'message')`. */
export type { Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines on stdout in production, readable lines in development. Every line written while a
 * request is served carries its `requestId` (request-context.ts), whichever logger wrote it, and
 * every field named like a secret is replaced by `[redacted]` however deep it sits (redact-secrets.ts).
 *
 * Why a mixin and not a child logger per request: the mixin runs only when a line is written, so a
 * request that logs nothing (nearly all of them) costs no logger allocation; and loggers an adapter
 * derived at start (`logger.child({ component: 'msal' })`) still name the request.
 */
/** `destination` (tests): anything with `write` for JSON; a Writable stream for `pretty`. Default: stdout. */
export function createLogger(options: { level: LogLevel; format: LogFormat; destination?: DestinationStream }): Logger {
  const settings: LoggerOptions = {
    level: options.level,
    messageKey: 'message',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // `log` runs on each line's fields before serializers, so it sees every Error and every depth.
    formatters: { log: redactSecrets, bindings: redactSecrets },
    // The formatter has already serialized every Error; pino's own `err` serializer would serialize
    // that result again and call its type `Object`. An Error that still got here is walked the same way.
    serializers: { err: (value: unknown) => (value instanceof Error ? redactSecrets({ err: value }).err : value) },
    mixin() {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
  };
  if (options.format === 'pretty') {
    const stream = pretty({ sync: true, messageKey: 'message', ignore: 'pid', colorize: !options.destination && process.stdout.isTTY, destination: (options.destination as NodeJS.WritableStream | undefined) ?? 1 });
    return withRedactedChildBindings(pino(settings, stream));
  }
  // Level names rather than numbers: what log platforms and people filter on.
  const formatters = { ...settings.formatters, level: (label: string) => ({ level: label }) };
  return withRedactedChildBindings(pino({ ...settings, formatters }, options.destination ?? pino.destination({ fd: 1, sync: true })));
}

/**
 * pino applies `formatters.bindings` to `base` only, not to `logger.child(bindings)` (pino's
 * lib/proto.js `child`). A child inherits from its parent (`Object.create`), so replacing `child`
 * on the root covers children of children too.
 */
function withRedactedChildBindings(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings), options);
  } as Logger['child'];
  return logger;
}
