/**
 * Development output: turns each JSON line into `time LEVEL [service] event message key=value…`.
 * It parses every line, which is fine on a developer's terminal and the reason it is opt-in.
 */
import type { DestinationStream } from 'pino';

const OMITTED = new Set(['time', 'level', 'service', 'msg', 'event', 'pid', 'hostname']);

export class PrettyDestination implements DestinationStream {
  constructor(private readonly target: DestinationStream) {}

  write(line: string): void {
    this.target.write(formatPrettyLine(line));
  }

  /** Lets `logger.flush()` reach the real destination. */
  flush(cb: (error?: Error) => void): void {
    const target = this.target as DestinationStream & { flush?: (cb: (error?: Error) => void) => void };
    if (typeof target.flush === 'function') target.flush(cb);
    else cb();
  }
}

export function formatPrettyLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record['time'] === 'string' ? record['time'].slice(11, 23) : '';
  const level = String(record['level'] ?? '').toUpperCase().padEnd(5);
  let out = `${time} ${level} [${String(record['service'] ?? '')}]`;
  if (record['event'] !== undefined) out += ` ${String(record['event'])}`;
  if (record['msg'] !== undefined) out += ` ${String(record['msg'])}`;
  for (const key of Object.keys(record)) {
    if (OMITTED.has(key)) continue;
    const value = record[key];
    out += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  }
  return `${out}\n`;
}
