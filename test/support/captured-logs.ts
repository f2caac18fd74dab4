import { createLogger, type Logger, type LogLevel } from '../../src/app/observability/logger.ts';

export interface LogRecord {
  readonly level: string;
  readonly message: string;
  readonly requestId?: string;
  readonly [field: string]: unknown;
}

/** The app's real logger (JSON format), writing into memory: `lines` as written, `records()` parsed. */
export function captureLogs(level: LogLevel = 'debug'): { logger: Logger; lines: string[]; records(): LogRecord[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as LogRecord) };
}

const STANDARD_FIELDS = new Set(['level', 'time', 'pid', 'message', 'component', 'requestId']);

/** Warnings and errors as `message {"field":…}` strings, for assertions on what an adapter said. */
export function warningsInto(warnings: string[]): Logger {
  return createLogger({
    level: 'warn',
    format: 'json',
    destination: {
      write(line: string) {
        const { message, ...fields } = JSON.parse(line) as LogRecord;
        const own = Object.fromEntries(Object.entries(fields).filter(([key]) => !STANDARD_FIELDS.has(key)));
        warnings.push(Object.keys(own).length > 0 ? `${message} ${JSON.stringify(own)}` : message);
      },
    },
  });
}
