/**
 * Declared log events. Each service keeps one table of the events it logs (name, level,
 * message), so the names are greppable, documented in one place and stable for alerting;
 * `logEvent` writes `{ event: name, ...fields }` at the declared level.
 */
import type { Logger } from 'pino';
import type { EventLevel } from './log-level.js';

export interface LogEvent<Name extends string = string> {
  readonly name: Name;
  readonly level: EventLevel;
  readonly message: string;
}

export type LogEventTable<T extends Record<string, { level: EventLevel; message: string }>> = {
  readonly [K in keyof T & string]: LogEvent<K>;
};

/** `defineLogEvents({ 'route.timeout': { level: 'warn', message: 'route request timed out' } })` */
export function defineLogEvents<const T extends Record<string, { level: EventLevel; message: string }>>(table: T): LogEventTable<T> {
  const out: Record<string, LogEvent> = {};
  for (const [name, spec] of Object.entries(table)) out[name] = Object.freeze({ name, level: spec.level, message: spec.message });
  // Built key by key from `table` above, so it has exactly the keys of T.
  return Object.freeze(out) as LogEventTable<T>;
}

/** Logs `event` with `fields`; costs one level check when the level is disabled. */
export function logEvent(logger: Logger, event: LogEvent, fields?: Record<string, unknown>): void {
  if (!logger.isLevelEnabled(event.level)) return;
  logger[event.level](fields === undefined ? { event: event.name } : { event: event.name, ...fields }, event.message);
}
