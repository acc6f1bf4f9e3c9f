/**
 * Child processes of a test run (SIPp, Kamailio): started in their own
 * process group, tracked until they exit, stopped by pid with an escalating
 * list of signals, and killed when the test process exits so that nothing
 * outlives the run.
 *
 *   spawnTracked(name, command, args, options)  -> TrackedChild
 *   stopChild(tracked, steps?)                  -> Promise<ChildExit>
 *   stopAllChildren()                           stops every child still running
 *
 * Call stopAllChildren() from an afterAll/afterEach hook; the process 'exit'
 * hook (installed on the first spawn) only SIGKILLs what is left.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly spawnError?: Error;
}

export interface TrackedChild {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves (never rejects) when the process has exited or failed to start. */
  readonly exited: Promise<ChildExit>;
  readonly isRunning: () => boolean;
}

export interface StopStep {
  readonly signal: NodeJS.Signals;
  /** How long to wait for the exit before the next step. */
  readonly waitMs: number;
  /** Signal the whole process group (the child and everything it forked). */
  readonly group?: boolean;
}

export const DEFAULT_STOP_STEPS: readonly StopStep[] = Object.freeze([
  { signal: 'SIGTERM', waitMs: 5_000 },
  { signal: 'SIGKILL', waitMs: 5_000, group: true },
]);

const live = new Set<TrackedChild>();
let exitHookInstalled = false;

function killGroupSync(tracked: TrackedChild): void {
  if (tracked.pid === undefined || !tracked.isRunning()) return;
  try {
    process.kill(-tracked.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const tracked of live) killGroupSync(tracked);
  });
}

export function spawnTracked(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): TrackedChild {
  installExitHook();
  // detached: own process group, so a final SIGKILL reaches forked workers.
  const child = spawn(command, args, { ...options, detached: true });
  let running = child.pid !== undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (error) => {
      // 'error' without a pid: the process never started; with a pid it is a
      // failed kill/send and the 'exit' event still follows.
      if (child.pid === undefined) {
        running = false;
        resolve({ code: null, signal: null, spawnError: error });
      }
    });
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  const tracked: TrackedChild = {
    name,
    process: child,
    pid: child.pid,
    exited,
    isRunning: () => running,
  };
  live.add(tracked);
  void exited.then(() => live.delete(tracked));
  return tracked;
}

function waitFor<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Sends the steps' signals in order until the process has exited. */
export async function stopChild(
  tracked: TrackedChild,
  steps: readonly StopStep[] = DEFAULT_STOP_STEPS,
): Promise<ChildExit> {
  for (const step of steps) {
    if (!tracked.isRunning() || tracked.pid === undefined) break;
    try {
      process.kill(step.group === true ? -tracked.pid : tracked.pid, step.signal);
    } catch {
      // exited between the check and the signal
    }
    const exit = await waitFor(tracked.exited, step.waitMs);
    if (exit !== undefined) return exit;
  }
  return tracked.exited;
}

/** Stops every tracked child that is still running (SIGTERM, then SIGKILL of its group). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((tracked) => stopChild(tracked)));
}

/** The last `lines` lines of a child's log file, for the error of a child that did not start; '' when unreadable. */
export async function logTail(path: string, lines: number): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
