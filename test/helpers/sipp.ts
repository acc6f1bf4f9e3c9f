/**
 * SIPp from TypeScript: one SIPp process as UAC or UAS, its readiness, its
 * result and what it saw on the wire.
 *
 *   const uas = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: 16011, calls: 1 });
 *   await uas.ready;                       // its SIP port is bound (by that SIPp process)
 *   const uac = runSipp({ scenario: scenarioPath('uac-call.xml'), role: 'uac', localPort: 16001,
 *                         remote: '127.0.0.1:16000', calls: 1, service: 'serial' });
 *   const r = await uac.done;              // SippResult, never rejects
 *   expect(r.exitCode, r.summary).toBe(0);
 *   r.messages                             // [{ direction: 'sent'|'received', text, ... }]
 *   await uas.stop();                      // SIGUSR1 (graceful), then force, then SIGKILL
 *   await stopAllSipp();                   // in afterEach/afterAll: whatever is still running
 *
 * Each run gets a fresh temporary directory (SIPp's working directory) with
 * its stat CSV, screen dump, error log and message trace; it is removed when
 * the run succeeded and kept (path in the summary) when it did not.
 *
 * SIPp exit codes (SIPp 3.6): 0 all calls succeeded, 1 at least one call
 * failed, 97 stopped by an internal command or the global -timeout, 99 normal
 * exit without calls processed, 255 fatal error, 254 could not bind a
 * socket. SIPp also exits 1 when it cannot load the scenario; a run without
 * a statistics file is therefore reported as "setup-error", whatever the code.
 *
 * Every run has a global -timeout (default 30 s): SIPp then starts no new
 * call and waits for the running ones, which end by their scenario's own
 * receive timeouts (every scenario in test/scenarios has them, at most 20 s).
 * A watchdog SIGKILLs SIPp 30 s after the global timeout, so no test hangs
 * on a SIPp that never ends. Control (-cp) and media (-mp, which binds p and
 * p+2) ports are taken from TEST_PORT_RANGE unless given, so SIPp never
 * binds its defaults (8888, 6000).
 *
 * A UAS with `calls` (-m) exits by itself once it has created that many calls
 * and its open-call counter is back to zero. Messages dropped by lost="N" on
 * the UAS side can bring that counter to zero early; run such a UAS without
 * `calls` and stop() it once the caller is done.
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTracked, stopChild, type ChildExit, type StopStep, type TrackedChild } from './child-processes.js';
import { freeUdpPort, waitForTcpPort, waitForUdpPort } from './ports.js';
import { parseSippLastError, parseSippScreenSteps, parseSippStatCsv } from './sipp-stats.js';
import type { SippCallCounters, SippStepStats } from './sipp-stats.js';
import { parseSippMessageTrace, type SippTraceMessage } from './sipp-trace.js';

export type SippRole = 'uac' | 'uas';

/** SIPp -t: UDP one socket, UDP one socket per call, TCP one socket, TCP one socket per call. */
export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

export interface SippOptions {
  /** Scenario XML path; scenarioPath('uac-call.xml') for the ones in test/scenarios. */
  readonly scenario: string;
  readonly role: SippRole;
  /** SIP port (-p), bound on localIp. */
  readonly localPort: number;
  /** host:port SIPp sends to; required for a UAC (the proxy under test). */
  readonly remote?: string;
  readonly transport?: SippTransport;
  /** -m: stop after this many calls (a UAS exits by itself once they are done). */
  readonly calls?: number;
  /** -r: calls per second (UAC). */
  readonly rate?: number;
  /** -s: user part of the Request-URI ([service]). */
  readonly service?: string;
  /** -timeout: no new call after this many seconds (default 30); running calls end by their own timeouts. */
  readonly timeoutS?: number;
  /** -key name value: [name] in the scenario's messages. */
  readonly keys?: Readonly<Record<string, string>>;
  /** -set name value: global scenario variables (e.g. retry_after_optional). */
  readonly variables?: Readonly<Record<string, string>>;
  /** -trace_msg: keep every message sent and received (default true; off for big loads). */
  readonly traceMessages?: boolean;
  readonly extraArgs?: readonly string[];
  /** -i: address for the SIP socket and the scenario's [local_ip] (default 127.0.0.1). */
  readonly localIp?: string;
  /** -cp: SIPp's control socket (UDP, all interfaces); default: a free port in TEST_PORT_RANGE. */
  readonly controlPort?: number;
  /** -mp: media port p (SIPp binds p and p+2); default: free ports in TEST_PORT_RANGE. */
  readonly mediaPort?: number;
  /** Label in summaries (default "<role> <scenario file>"). */
  readonly name?: string;
  /** Keep the run directory: 'on-failure' (default), 'always' or 'never'. */
  readonly keepDir?: 'on-failure' | 'always' | 'never';
}

export type SippOutcome =
  | 'success'
  | 'calls-failed'
  | 'stopped'
  | 'no-calls'
  | 'fatal'
  | 'bind-error'
  | 'setup-error'
  | 'killed';

const OUTCOME_TEXT: Readonly<Record<SippOutcome, string>> = {
  success: 'all calls succeeded',
  'calls-failed': 'at least one call failed',
  stopped: 'stopped by an internal command or the global timeout (calls may have been processed)',
  'no-calls': 'normal exit without calls processed',
  fatal: 'fatal error',
  'bind-error': 'could not bind a socket',
  'setup-error': 'SIPp did not start its run (no statistics written)',
  killed: 'killed by a signal',
};

export interface SippResult {
  readonly name: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly outcome: SippOutcome;
  readonly outcomeText: string;
  /** Call counters from the statistics file; undefined when SIPp never started its run. */
  readonly calls: SippCallCounters | undefined;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  /** The scenario screen's per-step table (messages, retransmissions, timeouts, unexpected, lost). */
  readonly steps: readonly SippStepStats[];
  /** Everything SIPp sent and received, in order (empty when traceMessages is false). */
  readonly messages: readonly SippTraceMessage[];
  /** Sends SIPp skipped because of a lost="N" attribute. */
  readonly lostSends: number;
  readonly lastError: string | undefined;
  readonly stderr: string;
  /** SIPp's error log (-trace_err): unexpected messages, aborted calls. */
  readonly errorLog: string;
  readonly durationMs: number;
  /** The command line, for reproducing the run by hand. */
  readonly command: string;
  /** The run directory when it was kept. */
  readonly dir: string | undefined;
  /** One paragraph for assertion messages: outcome, counters, failures, last error, files. */
  readonly summary: string;
}

export interface SippHandle {
  readonly name: string;
  /** Resolves when SIPp's SIP socket is bound (listening for TCP); rejects if SIPp exits first. */
  readonly ready: Promise<void>;
  /** Resolves when SIPp has exited and its files are read; never rejects. */
  readonly done: Promise<SippResult>;
  readonly pid: () => number | undefined;
  /** Graceful stop (SIGUSR1), forced after 3 s (second SIGUSR1), SIGKILL after 2 s more. */
  stop(): Promise<SippResult>;
}

const SIPP_BINARY = 'sipp';
const DEFAULT_TIMEOUT_S = 30;
const WATCHDOG_GRACE_MS = 30_000;
const READY_TIMEOUT_MS = 10_000;
const TAIL_BYTES = 64 * 1024;

const STOP_STEPS: readonly StopStep[] = Object.freeze([
  { signal: 'SIGUSR1', waitMs: 3_000 },
  { signal: 'SIGUSR1', waitMs: 2_000 },
  { signal: 'SIGKILL', waitMs: 5_000 },
]);

const running = new Set<SippHandle>();

/** Absolute path of a scenario in test/scenarios. */
export function scenarioPath(file: string): string {
  return resolve(fileURLToPath(new URL('../scenarios/', import.meta.url)), file);
}

function sippArgs(options: SippOptions, dir: string, controlPort: number, mediaPort: number): string[] {
  const args: string[] = [];
  if (options.remote !== undefined) args.push(options.remote);
  args.push(
    '-sf', options.scenario,
    '-i', options.localIp ?? '127.0.0.1',
    '-p', String(options.localPort),
    '-t', options.transport ?? 'u1',
    '-cp', String(controlPort),
    '-mp', String(mediaPort),
    '-nostdin',
    '-buff_size', '1048576',
    '-timeout', `${options.timeoutS ?? DEFAULT_TIMEOUT_S}s`,
    '-trace_stat', '-stf', join(dir, 'stat.csv'),
    '-trace_screen', '-screen_file', join(dir, 'screen.log'),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
  );
  if (options.traceMessages ?? true) args.push('-trace_msg', '-message_file', join(dir, 'messages.log'));
  if (options.calls !== undefined) args.push('-m', String(options.calls));
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  if (options.service !== undefined) args.push('-s', options.service);
  for (const [key, value] of Object.entries(options.keys ?? {})) args.push('-key', key, value);
  for (const [name, value] of Object.entries(options.variables ?? {})) args.push('-set', name, value);
  args.push(...(options.extraArgs ?? []));
  return args;
}

async function readTail(path: string): Promise<string> {
  try {
    const buf = await readFile(path);
    return buf.subarray(Math.max(0, buf.length - TAIL_BYTES)).toString('utf8');
  } catch {
    return '';
  }
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

function classify(exit: ChildExit, calls: SippCallCounters | undefined, killedByWatchdog: boolean): SippOutcome {
  if (exit.spawnError !== undefined) return 'setup-error';
  if (killedByWatchdog || exit.signal !== null) return 'killed';
  switch (exit.code) {
    case 0:
      return 'success';
    case 1:
      return calls === undefined ? 'setup-error' : 'calls-failed';
    case 97:
      return 'stopped';
    case 99:
      return 'no-calls';
    case 254:
      return 'bind-error';
    default:
      return calls === undefined ? 'setup-error' : 'fatal';
  }
}

function summarize(r: Omit<SippResult, 'summary'>): string {
  const parts = [
    `sipp ${r.name}: exit ${r.exitCode ?? r.signal ?? 'none'} = ${r.outcomeText}`,
  ];
  if (r.calls !== undefined) {
    const failures = Object.entries(r.calls.failures)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    parts.push(
      `calls: ${r.calls.created} created, ${r.calls.successful} ok, ${r.calls.failed} failed` +
        (failures.length > 0 ? ` (${failures})` : '') +
        `, ${r.calls.retransmissions} retransmissions`,
    );
  }
  if (r.lastError !== undefined) parts.push(`last error: ${r.lastError}`);
  // SIPp starts each error with "<date>\t<time>\t<epoch>: "; the lines after
  // it are often a quoted SIP message. The last two errors, first line each.
  const errorStart = /^\S+\t\S+\t\S+: /;
  const errors = r.stderr
    .split('\n')
    .filter((l) => errorStart.test(l))
    .map((l) => l.replace(errorStart, ''));
  if (r.outcome !== 'success' && errors.length > 0) parts.push(`stderr: ${errors.slice(-2).join(' | ')}`);
  if (r.dir !== undefined) parts.push(`files: ${r.dir}`);
  parts.push(`command: ${r.command}`);
  return parts.join('; ');
}

const START_ATTEMPTS = 3;

/**
 * How a fresh SIPp start went: its SIP socket got bound ('started'), or it exited at once with
 * 254, SIPp's "could not bind a socket" ('port-clash'). A TCP UAC binds nothing to wait for: it
 * gets half a second to fail.
 */
async function startOutcome(child: TrackedChild, options: SippOptions): Promise<'started' | 'port-clash' | 'exited'> {
  const aborter = new AbortController();
  const exited = child.exited.then((exit) => {
    aborter.abort();
    return exit.code === 254 ? ('port-clash' as const) : ('exited' as const);
  });
  const tcp = options.transport === 't1' || options.transport === 'tn';
  const bound =
    tcp && options.role === 'uac'
      ? new Promise<'started'>((resolve) => setTimeout(() => resolve('started'), 500))
      : (tcp ? waitForTcpPort : waitForUdpPort)(options.localPort, { pid: child.pid ?? 0, timeoutMs: READY_TIMEOUT_MS, signal: aborter.signal }).then(
          () => 'started' as const,
          // Not bound in time, or aborted because SIPp exited: `exited` (if it did) decides below.
          () => 'started' as const,
        );
  const first = await Promise.race([exited, bound]);
  aborter.abort();
  return first;
}

/** Starts SIPp; see the module comment. Throws only on invalid options. */
export function runSipp(options: SippOptions): SippHandle {
  if (options.role === 'uac' && options.remote === undefined) {
    throw new Error(`runSipp: a UAC needs a remote (host:port) for ${options.scenario}`);
  }
  const name = options.name ?? `${options.role} ${basename(options.scenario)}`;
  let tracked: TrackedChild | undefined;
  let killedByWatchdog = false;

  // SIPp's control (-cp) and media (-mp) ports come from the shared test range. On a busy machine
  // another process can take one between our check and SIPp's bind; SIPp then exits with 254 at
  // once. Such a start is retried with fresh ports (the SIP port itself is the caller's and is
  // never changed).
  const started = (async () => {
    for (let attempt = 1; ; attempt++) {
      const dir = await mkdtemp(join(tmpdir(), 'sipmesh-sipp-'));
      const controlPort = options.controlPort ?? (await freeUdpPort());
      const mediaPort = options.mediaPort ?? (await freeUdpPort({ alsoFree: [2] }));
      const args = sippArgs(options, dir, controlPort, mediaPort);
      const stdout = await open(join(dir, 'stdout.log'), 'w');
      const stderr = await open(join(dir, 'stderr.log'), 'w');
      let child: TrackedChild;
      try {
        child = spawnTracked(name, SIPP_BINARY, args, { cwd: dir, stdio: ['ignore', stdout.fd, stderr.fd] });
      } finally {
        await stdout.close();
        await stderr.close();
      }
      tracked = child;
      if (attempt >= START_ATTEMPTS || options.controlPort !== undefined || options.mediaPort !== undefined) return { dir, args, child };
      const early = await startOutcome(child, options);
      if (early !== 'port-clash') return { dir, args, child };
      const message = await readFile(join(dir, 'stderr.log'), 'utf8').catch(() => '');
      if (!/control socket|RTP socket|media/i.test(message)) return { dir, args, child };
      await rm(dir, { recursive: true, force: true });
    }
  })();

  const ready = (async () => {
    const { child } = await started;
    if (child.pid === undefined) throw new Error(`sipp ${name} did not start`);
    const aborter = new AbortController();
    void child.exited.then((exit) =>
      aborter.abort(new Error(`sipp ${name} exited (code ${exit.code ?? exit.signal}) before its port was bound`)),
    );
    const wait = options.transport === 't1' || options.transport === 'tn' ? waitForTcpPort : waitForUdpPort;
    await wait(options.localPort, { pid: child.pid, timeoutMs: READY_TIMEOUT_MS, signal: aborter.signal });
  })();
  // Awaiting `ready` is optional (a UAC needs no readiness); never let it go unhandled.
  ready.catch(() => undefined);

  const done = (async (): Promise<SippResult> => {
    const startedAt = Date.now();
    let setup: Awaited<typeof started>;
    try {
      setup = await started;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const partial: Omit<SippResult, 'summary'> = {
        name, exitCode: null, signal: null, outcome: 'setup-error', outcomeText: `${OUTCOME_TEXT['setup-error']}: ${message}`,
        calls: undefined, successfulCalls: 0, failedCalls: 0, steps: [], messages: [], lostSends: 0,
        lastError: undefined, stderr: '', errorLog: '', durationMs: 0, command: SIPP_BINARY, dir: undefined,
      };
      return { ...partial, summary: summarize(partial) };
    }
    const { dir, args, child } = setup;
    const watchdogMs = (options.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000 + WATCHDOG_GRACE_MS;
    const watchdog = setTimeout(() => {
      killedByWatchdog = true;
      void stopChild(child, STOP_STEPS);
    }, watchdogMs);
    const exit = await child.exited;
    clearTimeout(watchdog);

    const [statCsv, screen, errorLog, stderr, trace] = await Promise.all([
      readOptional(join(dir, 'stat.csv')),
      readOptional(join(dir, 'screen.log')),
      readTail(join(dir, 'errors.log')),
      readTail(join(dir, 'stderr.log')),
      readOptional(join(dir, 'messages.log')),
    ]);
    const calls = statCsv === undefined ? undefined : parseSippStatCsv(statCsv.toString('utf8'));
    const screenText = screen?.toString('utf8') ?? '';
    const parsedTrace = trace === undefined ? { messages: [], lostSends: 0 } : parseSippMessageTrace(trace);
    const outcome = classify(exit, calls, killedByWatchdog);
    const spawnNote = exit.spawnError === undefined ? '' : `: ${exit.spawnError.message}`;
    const keep = options.keepDir ?? 'on-failure';
    const keepIt = keep === 'always' || (keep === 'on-failure' && outcome !== 'success');
    if (!keepIt) await rm(dir, { recursive: true, force: true });
    const partial: Omit<SippResult, 'summary'> = {
      name,
      exitCode: exit.code,
      signal: exit.signal,
      outcome,
      outcomeText: OUTCOME_TEXT[outcome] + spawnNote,
      calls,
      successfulCalls: calls?.successful ?? 0,
      failedCalls: calls?.failed ?? 0,
      steps: parseSippScreenSteps(screenText),
      messages: parsedTrace.messages,
      lostSends: parsedTrace.lostSends,
      lastError: parseSippLastError(screenText),
      stderr,
      errorLog,
      durationMs: Date.now() - startedAt,
      command: [SIPP_BINARY, ...args].join(' '),
      dir: keepIt ? dir : undefined,
    };
    return { ...partial, summary: summarize(partial) };
  })();

  const handle: SippHandle = {
    name,
    ready,
    done,
    pid: () => tracked?.pid,
    async stop() {
      try {
        const { child } = await started;
        await stopChild(child, STOP_STEPS);
      } catch {
        // never started: `done` reports why
      }
      return done;
    },
  };
  running.add(handle);
  void done.then(() => running.delete(handle));
  return handle;
}

/** Stops every SIPp started by runSipp that is still running; for afterEach/afterAll. */
export async function stopAllSipp(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.stop()));
}
