import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/create-logger.js';
import { runService, type Stoppable } from './run-service.js';

const RUN_TS = resolve(import.meta.dirname, '../../scripts/run-ts.mjs');
const FIXTURE = resolve(import.meta.dirname, 'service-main.fixture.ts');

function fakeProcess(): EventEmitter & { exit(code: number): void; exits: number[] } {
  const exits: number[] = [];
  return Object.assign(new EventEmitter(), { exits, exit: (code: number) => void exits.push(code) });
}

function quietLogger(lines: Array<Record<string, unknown>> = []): ReturnType<typeof createLogger> {
  return createLogger({ service: 't', level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runService', () => {
  it('stops components in reverse order on SIGTERM and exits 0', async () => {
    const proc = fakeProcess();
    const order: string[] = [];
    const component = (name: string): Stoppable => ({ name, stop: async () => void order.push(name) });
    const done = runService({ name: 'svc', process: proc, logger: quietLogger(), start: () => Promise.resolve([component('bus'), component('sip'), component('admin')]) });
    await tick();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(0);
    expect(order).toEqual(['admin', 'sip', 'bus']);
    expect(proc.exits).toEqual([0]);
    expect(proc.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 when a component fails to stop, still stopping the others', async () => {
    const proc = fakeProcess();
    const lines: Array<Record<string, unknown>> = [];
    const order: string[] = [];
    const done = runService({
      name: 'svc',
      process: proc,
      logger: quietLogger(lines),
      start: () =>
        Promise.resolve([
          { name: 'bus', stop: () => void order.push('bus') },
          { name: 'db', stop: () => Promise.reject(new Error('pool stuck')) },
        ]),
    });
    await tick();
    proc.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(1);
    expect(order).toEqual(['bus']);
    expect(lines.find((l) => l['event'] === 'service.stop-failed')).toMatchObject({ component: 'db', err: { message: 'pool stuck' } });
  });

  it('exits 1 at the stop deadline, naming what is still stopping', async () => {
    const proc = fakeProcess();
    const lines: Array<Record<string, unknown>> = [];
    const done = runService({
      name: 'svc',
      process: proc,
      logger: quietLogger(lines),
      stopTimeoutMs: 50,
      start: () => Promise.resolve([{ name: 'bus', stop: () => undefined }, { name: 'hung', stop: () => new Promise<void>(() => undefined) }]),
    });
    await tick();
    const t0 = Date.now();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(1);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(lines.find((l) => l['event'] === 'service.stop-timeout')).toMatchObject({ component: 'hung', pending: ['bus', 'hung'] });
  });

  it('exits 1 when start fails', async () => {
    const proc = fakeProcess();
    const lines: Array<Record<string, unknown>> = [];
    const done = runService({ name: 'svc', process: proc, logger: quietLogger(lines), start: () => Promise.reject(new Error('port in use')) });
    expect(await done).toBe(1);
    expect(lines.find((l) => l['event'] === 'service.start-failed')).toMatchObject({ level: 'fatal', err: { message: 'port in use' } });
  });

  it('logs an uncaught error as fatal and shuts down with 1', async () => {
    const proc = fakeProcess();
    const lines: Array<Record<string, unknown>> = [];
    let stopped = false;
    const done = runService({ name: 'svc', process: proc, logger: quietLogger(lines), start: () => Promise.resolve([{ name: 'x', stop: () => void (stopped = true) }]) });
    await tick();
    proc.emit('unhandledRejection', new Error('forgot to await'));
    expect(await done).toBe(1);
    expect(stopped).toBe(true);
    expect(lines.find((l) => l['event'] === 'service.uncaught')).toMatchObject({ level: 'fatal', err: { message: 'forgot to await' } });
  });

  it('stops what start() returns when a signal arrived during start', async () => {
    const proc = fakeProcess();
    let stopped = false;
    let release: () => void = () => undefined;
    const done = runService({
      name: 'svc',
      process: proc,
      logger: quietLogger(),
      start: () => new Promise((resolve) => (release = () => resolve([{ name: 'late', stop: () => void (stopped = true) }]))),
    });
    await tick();
    proc.emit('SIGTERM', 'SIGTERM');
    release();
    expect(await done).toBe(0);
    expect(stopped).toBe(true);
  });

  it('exits at once with 128+signal on a second signal', async () => {
    const proc = fakeProcess();
    const done = runService({ name: 'svc', process: proc, logger: quietLogger(), start: () => Promise.resolve([{ name: 'slow', stop: () => new Promise<void>(() => undefined) }]) });
    await tick();
    proc.emit('SIGINT', 'SIGINT');
    await tick();
    proc.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(130);
  });
});

describe('runService in a real process', () => {
  function run(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [RUN_TS, FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let signalled = false;
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (signal !== undefined && !signalled && stdout.includes('started\n')) {
          signalled = true;
          child.kill(signal);
        }
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolvePromise({ code, stdout, stderr }));
    });
  }

  it('handles SIGTERM: reverse stop, exit 0', async () => {
    const { code, stdout, stderr } = await run('normal', 'SIGTERM');
    expect(code).toBe(0);
    expect(stdout).toBe('started\nstopped second\nstopped first\n');
    expect(stderr).toContain('"event":"service.stopped"');
  });

  it('exits 1 when a component does not stop in time', async () => {
    const { code, stdout } = await run('hang', 'SIGINT');
    expect(code).toBe(1);
    expect(stdout).toBe('started\n');
  });

  it('treats an uncaught exception as fatal', async () => {
    const { code, stdout, stderr } = await run('throw');
    expect(code).toBe(1);
    expect(stdout).toBe('started\nstopped second\nstopped first\n');
    expect(stderr).toContain('"level":"fatal"');
    expect(stderr).toContain('boom after start');
  });
});
