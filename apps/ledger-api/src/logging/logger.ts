/**
 * Structured JSON logs (pino): one line per request, errors with their stack. What never reaches a log line: API
 * keys (the Authorization header is not read here, and redaction catches it should a header object ever be logged),
 * request bodies (commands carry classified titles) and query strings (filters may name items).
 */
import pino, { type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';

export type { Logger } from 'pino';

/** Paths pino blanks out whatever a caller passes it: a second line of defence behind "do not log it". */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.authorization',
  'body',
  'req.body',
  '*.body',
  'apiKey',
  '*.apiKey',
  'key',
  'token',
  '*.token',
];

export const createLogger = (
  options: { level?: string; destination?: { write(line: string): unknown } } = {},
): Logger =>
  pino(
    {
      level: options.level ?? 'info',
      base: { service: 'custody-ledger' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    // pino accepts any object with write(); a capture array in tests, stdout by default.
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );

const text = (message: unknown): string =>
  message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);

/** Nest's own logging (bootstrap, the problem filter's 5xx lines) as pino lines; an error keeps its stack. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    // Nest's own chatter (module init, route mapping) is debug; our code logs through pino directly.
    this.logger.debug({ context }, text(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, text(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, text(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, text(message));
  }
  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, text(message));
  }
  /** Nest calls `error(message, stack, context)`; an Error passed as the message brings its own stack. */
  error(message: unknown, stackOrContext?: string, context?: string): void {
    const stack =
      message instanceof Error
        ? message.stack
        : context !== undefined || (stackOrContext && stackOrContext.includes('\n'))
          ? stackOrContext
          : undefined;
    const ctx = context ?? (stack === stackOrContext ? undefined : stackOrContext);
    this.logger.error({ context: ctx, ...(stack ? { err: { message: text(message), stack } } : {}) }, text(message));
  }
}
