/**
 * The life of a service process, for `main.ts`: start the components, run until SIGINT or
 * SIGTERM, stop them in reverse start order within one deadline, exit with a code that tells
 * what happened. An uncaught exception or unhandled rejection is logged as fatal and shuts
 * the service down with exit code 1. This is the only place that calls `process.exit`.
 *
 * Exit codes: 0 clean stop; 1 failed start, failed or late stop, or uncaught error;
 * 128 + signal number when a second signal forces an immediate exit (130 for SIGINT).
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { createLogger } from '../logging/create-logger.js';
import { defineLogEvents, logEvent } from '../logging/log-event.js';

export interface Stoppable {
  /** Shown in logs, e.g. `bus`, `sip-transport`, `admin-http`. */
  readonly name: string;
  stop(): void | Promise<void>;
}

/** The part of `process` runService uses (signals, uncaught errors, exit); tests pass a stand-in. */
export type ServiceProcess = Pick<EventEmitter, 'on' | 'off'> & { exit(code: number): void };

export interface RunServiceOptions {
  name: string;
  /** Starts the components and returns them in start order. */
  start: () => Promise<readonly Stoppable[]>;
  /** Default: a JSON logger at level info for `name`. */
  logger?: Logger;
  /** Deadline for stopping everything. Default 10 000 ms. */
  stopTimeoutMs?: number;
  /** Default: the real `process`. */
  process?: ServiceProcess;
}

export const lifecycleEvents = defineLogEvents({
  'service.starting': { level: 'info', message: 'service starting' },
  'service.started': { level: 'info', message: 'service started' },
  'service.start-failed': { level: 'fatal', message: 'service failed to start' },
  'service.stopping': { level: 'info', message: 'service stopping' },
  'service.component-stopped': { level: 'debug', message: 'component stopped' },
  'service.stop-failed': { level: 'error', message: 'component failed to stop' },
  'service.stop-timeout': { level: 'error', message: 'stop deadline passed' },
  'service.stopped': { level: 'info', message: 'service stopped' },
  'service.uncaught': { level: 'fatal', message: 'uncaught error' },
  'service.forced-exit': { level: 'warn', message: 'second signal: exiting at once' },
});

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

/** Resolves with the exit code once `exit` has been called. */
export function runService(options: RunServiceOptions): Promise<number> {
  const proc: ServiceProcess = options.process ?? process;
  const logger = options.logger ?? createLogger({ service: options.name, level: 'info' });
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  let started: readonly Stoppable[] | undefined;
  let starting = true;
  let stopRequested: { reason: string; code: number } | undefined;
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await flushLogger(logger);
    // Handlers stay attached until here: a signal during the final flush must not kill the
    // process with the default action.
    detach();
    proc.exit(code);
    finish(code);
  };

  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logEvent(logger, lifecycleEvents['service.stopping'], { reason });
    const clean = await stopAll(started ?? [], Date.now() + stopTimeoutMs, logger);
    const exitCode = clean ? code : Math.max(code, 1);
    logEvent(logger, lifecycleEvents['service.stopped'], { exitCode });
    await exit(exitCode);
  };

  const requestStop = (reason: string, code: number): void => {
    if (starting) {
      // Components being started are stopped as soon as start() hands them over.
      stopRequested ??= { reason, code };
      if (code > stopRequested.code) stopRequested = { reason, code };
      return;
    }
    void shutdown(reason, code);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) return;
    if (stopping || (starting && stopRequested !== undefined)) {
      logEvent(logger, lifecycleEvents['service.forced-exit'], { signal });
      void exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
      return;
    }
    requestStop(signal, 0);
  };
  const onUncaught = (error: unknown): void => {
    logEvent(logger, lifecycleEvents['service.uncaught'], { err: error });
    requestStop('uncaught error', 1);
  };

  proc.on('SIGINT', onSignal);
  proc.on('SIGTERM', onSignal);
  proc.on('uncaughtException', onUncaught);
  proc.on('unhandledRejection', onUncaught);
  const detach = (): void => {
    proc.off('SIGINT', onSignal);
    proc.off('SIGTERM', onSignal);
    proc.off('uncaughtException', onUncaught);
    proc.off('unhandledRejection', onUncaught);
  };

  const startedAt = Date.now();
  logEvent(logger, lifecycleEvents['service.starting']);
  options.start().then(
    (components) => {
      started = components;
      starting = false;
      if (stopRequested !== undefined) {
        void shutdown(stopRequested.reason, stopRequested.code);
        return;
      }
      logEvent(logger, lifecycleEvents['service.started'], { components: components.map((c) => c.name), startMs: Date.now() - startedAt });
    },
    (error: unknown) => {
      starting = false;
      stopping = true;
      logEvent(logger, lifecycleEvents['service.start-failed'], { err: error });
      void exit(1);
    },
  );
  return finished;
}

/** Stops in reverse order; false when a component failed or the deadline passed. */
async function stopAll(components: readonly Stoppable[], deadline: number, logger: Logger): Promise<boolean> {
  let clean = true;
  for (let i = components.length - 1; i >= 0; i--) {
    const component = components[i] as Stoppable;
    const outcome = await stopWithin(component, deadline - Date.now());
    if (outcome === 'timeout') {
      const pending = components.slice(0, i + 1).map((c) => c.name);
      logEvent(logger, lifecycleEvents['service.stop-timeout'], { component: component.name, pending });
      return false;
    }
    if (outcome instanceof Error) {
      clean = false;
      logEvent(logger, lifecycleEvents['service.stop-failed'], { component: component.name, err: outcome });
    } else {
      logEvent(logger, lifecycleEvents['service.component-stopped'], { component: component.name });
    }
  }
  return clean;
}

function stopWithin(component: Stoppable, remainingMs: number): Promise<'stopped' | 'timeout' | Error> {
  if (remainingMs <= 0) return Promise.resolve('timeout');
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve()
      .then(() => component.stop())
      .then(
        () => 'stopped' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, remainingMs, 'timeout');
    }),
  ]).finally(() => clearTimeout(timer));
}

function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}
