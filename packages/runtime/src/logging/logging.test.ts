import { describe, expect, it, vi } from 'vitest';
import { CallLogger } from './call-logger.js';
import { createLogger, LoggingError, setLogLevel } from './create-logger.js';
import { defineLogEvents, logEvent } from './log-event.js';
import { formatPrettyLine } from './pretty-destination.js';

function capture(): { lines: Array<Record<string, unknown>>; raw: string[]; destination: { write(s: string): void } } {
  const raw: string[] = [];
  return {
    raw,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    destination: { write: (s: string) => void raw.push(s) },
  };
}

const events = defineLogEvents({
  'route.timeout': { level: 'warn', message: 'route request timed out' },
  'tx.created': { level: 'debug', message: 'transaction created' },
});

describe('createLogger', () => {
  it('writes JSON lines with service, level label, ISO time and message', () => {
    const out = capture();
    const logger = createLogger({ service: 'edge', level: 'info', destination: out.destination, bindings: { instance: 'edge-1' } });
    logger.info({ port: 5060 }, 'listening');
    logger.debug('hidden');
    expect(out.lines).toHaveLength(1);
    const line = out.lines[0]!;
    expect(line).toMatchObject({ level: 'info', service: 'edge', instance: 'edge-1', port: 5060, msg: 'listening' });
    expect(line['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('changes the level at runtime, for children created before the change too', () => {
    const out = capture();
    const logger = createLogger({ service: 'router', level: 'info', destination: out.destination });
    const child = logger.child({ component: 'dispatcher' });
    child.debug('before');
    setLogLevel(logger, 'debug');
    child.debug('after');
    logger.debug('root after');
    setLogLevel(logger, 'silent');
    child.error('silenced');
    expect(out.lines.map((l) => l['msg'])).toEqual(['after', 'root after']);
    expect(out.lines[0]).toMatchObject({ component: 'dispatcher', level: 'debug' });
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ service: 's', level: 'verbose' as 'info' })).toThrow(LoggingError);
    const logger = createLogger({ service: 's', level: 'info', destination: capture().destination });
    expect(() => setLogLevel(logger, 'loud' as 'info')).toThrow(LoggingError);
  });
});

describe('log events', () => {
  it('logs the declared name, level and message with the fields', () => {
    const out = capture();
    const logger = createLogger({ service: 'edge', level: 'info', destination: out.destination });
    logEvent(logger, events['route.timeout'], { policy: 'default', waitedMs: 250 });
    logEvent(logger, events['tx.created']);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ level: 'warn', event: 'route.timeout', msg: 'route request timed out', policy: 'default', waitedMs: 250 });
    expect(events['route.timeout'].name).toBe('route.timeout');
    expect(Object.isFrozen(events)).toBe(true);
  });
});

describe('CallLogger', () => {
  it('binds the call context, skipping absent fields', () => {
    const out = capture();
    const logger = createLogger({ service: 'edge', level: 'debug', destination: out.destination });
    const call = new CallLogger(logger, { callId: 'a84b4c76e66710', branch: 'z9hG4bK776asdhds' });
    call.event(events['tx.created'], { method: 'INVITE' });
    call.event(events['route.timeout']);
    expect(out.lines).toHaveLength(2);
    expect(out.lines[0]).toMatchObject({ callId: 'a84b4c76e66710', branch: 'z9hG4bK776asdhds', event: 'tx.created', method: 'INVITE', level: 'debug' });
    expect(out.lines[0]).not.toHaveProperty('txKey');
    expect(out.lines[1]).toMatchObject({ callId: 'a84b4c76e66710', event: 'route.timeout' });
  });

  it('creates no child logger while nothing is logged, and one for all lines after', () => {
    const out = capture();
    const logger = createLogger({ service: 'edge', level: 'info', destination: out.destination });
    const childSpy = vi.spyOn(logger, 'child');
    const call = new CallLogger(logger, { callId: 'c1', txKey: 'edge-1.7.3' });
    for (let i = 0; i < 100; i++) call.event(events['tx.created']);
    expect(childSpy).not.toHaveBeenCalled();
    expect(call.isEnabled('debug')).toBe(false);
    call.event(events['route.timeout']);
    call.event(events['route.timeout']);
    expect(childSpy).toHaveBeenCalledTimes(1);
    expect(out.lines).toHaveLength(2);
  });
});

describe('pretty output', () => {
  it('formats one JSON line for a terminal', () => {
    const line = JSON.stringify({ level: 'warn', time: '2024-05-01T10:11:12.345Z', service: 'edge', pid: 1, event: 'route.timeout', msg: 'route request timed out', callId: 'c1', waitedMs: 250 });
    expect(formatPrettyLine(line)).toBe('10:11:12.345 WARN  [edge] route.timeout route request timed out callId=c1 waitedMs=250\n');
  });

  it('goes through the logger when pretty is set', () => {
    const out = capture();
    const logger = createLogger({ service: 'edge', level: 'info', pretty: true, destination: out.destination });
    logger.info({ port: 5060 }, 'listening');
    expect(out.raw[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[edge\] listening port=5060\n$/);
  });
});
