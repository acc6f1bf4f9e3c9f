/**
 * The pino logger of a service. Lines are JSON with the level as a label and an ISO time;
 * every line names the service. Output is asynchronous (sonic-boom, flushed on exit) so
 * logging does not block the event loop at high message rates.
 *
 * Child loggers created with `logger.child(bindings)` (no options) inherit their level from
 * the parent through the prototype chain, so `setLogLevel` on the root reaches every such
 * child, including those created before the change.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { isLogLevel, type LogLevel } from './log-level.js';
import { PrettyDestination } from './pretty-destination.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: LogLevel;
  /** Human-readable lines instead of JSON (development). */
  pretty?: boolean;
  /** Where lines go. Default: stdout, asynchronously. */
  destination?: DestinationStream;
  /** Extra fields on every line, e.g. `{ instance: 'edge-1' }`. */
  bindings?: Record<string, string | number>;
}

export const LoggingErrorCode = { invalidLevel: 'LOG_INVALID_LEVEL' } as const;

export class LoggingError extends Error {
  override readonly name = 'LoggingError';
  readonly code = LoggingErrorCode.invalidLevel;
}

export function createLogger(options: LoggerOptions): Logger {
  assertLevel(options.level);
  const target = options.destination ?? pino.destination({ dest: 1, sync: false });
  const destination = options.pretty === true ? new PrettyDestination(target) : target;
  return pino(
    {
      level: options.level,
      base: { service: options.service, ...options.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Changes the level of `logger` and of its children that did not set their own. */
export function setLogLevel(logger: Logger, level: LogLevel): void {
  assertLevel(level);
  logger.level = level;
}

function assertLevel(level: unknown): asserts level is LogLevel {
  if (!isLogLevel(level)) throw new LoggingError(`unknown log level "${String(level)}"`);
}
