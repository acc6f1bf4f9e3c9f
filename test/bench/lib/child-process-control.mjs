/** Starting, waiting for and stopping the child processes of a bench run, always by PID. */
import { openSync, closeSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Processes started here that have not exited yet (for stopAllStarted on an interrupt). */
const live = new Set();

/**
 * Spawns `cmd args` with stdout and stderr going to files; resolves `exited` with
 * `{ code, signal }` once the process has exited.
 */
export function startLogged(cmd, args, { cwd, env, stdoutFile, stderrFile }) {
  const out = openSync(stdoutFile, 'a');
  const err = stderrFile === stdoutFile ? out : openSync(stderrFile, 'a');
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, err] });
  closeSync(out);
  if (err !== out) closeSync(err);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const started = { child, exited, pid: child.pid ?? 0 };
  live.add(started);
  void exited.then(() => live.delete(started));
  return started;
}

/** SIGTERM to every started process still running (newest first), SIGKILL after `graceMs`. */
export async function stopAllStarted(graceMs = 10_000) {
  await Promise.all([...live].reverse().map((s) => stopProcess(s, { signal: 'SIGTERM', graceMs })));
}

/** Start time of a process (clock ticks after boot), null when it is gone: tells a PID apart from a later reuse. */
export function processStartTime(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** `{ pid, startTime }` of PIDs, to be passed to stopProcess as `alsoKill`. */
export function identify(pids) {
  return pids.map((pid) => ({ pid, startTime: processStartTime(pid) })).filter((p) => p.startTime !== null);
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check()` every `stepMs` until it returns true (resolves true) or `timeoutMs` passes (false). */
export async function waitUntil(check, timeoutMs, stepMs = 50) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(stepMs);
  }
  return false;
}

/** Resolves with the exit of a started process, or null after `ms`. */
export function exitWithin(started, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([started.exited, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends `signal`, waits up to `graceMs`, then SIGKILLs the process and the PIDs in
 * `alsoKill` (its descendants, from identify() while it ran) that are still the same processes.
 * Resolves with the exit.
 */
export async function stopProcess(started, { signal = 'SIGTERM', graceMs = 10_000, alsoKill = [] } = {}) {
  if (started.child.exitCode === null && started.child.signalCode === null) {
    try {
      process.kill(started.pid, signal);
    } catch {
      // already gone
    }
  }
  let exit = await exitWithin(started, graceMs);
  if (exit === null) {
    try {
      process.kill(started.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    exit = await started.exited;
  }
  for (const { pid, startTime } of alsoKill) {
    if (processStartTime(pid) === startTime) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  return exit;
}
