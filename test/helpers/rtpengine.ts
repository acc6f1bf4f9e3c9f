/**
 * A private rtpengine (Debian rtpengine-daemon, userspace) for tests that control it over ng.
 *
 *   describe('against rtpengine', async () => {
 *     if (!(await requireInfra('rtpengine'))) return;        // skipped with the reason when missing
 *     let rtpe: RtpengineHandle;
 *     beforeAll(async () => { rtpe = await startRtpengine(); });   // answers ping
 *     afterAll(() => rtpe.stop());
 *     test('...', () => ng.offer(rtpe.ng, ...));
 *   });
 *   const [a, b] = await startRtpengines(2);                 // two instances, own ports each
 *
 * Each instance runs in the foreground (-f, log to stderr into a file of its own temporary
 * directory, also its pid file) on loopback: ng (UDP) and CLI (TCP) ports from the test range,
 * and an RTP range of its own: a block of RTP_BLOCK_SIZE ports in 20000-29999, below the
 * kernel's ephemeral ports (32768+) so no client socket can sit in it, and claimed with a
 * port lease on the block's first port so two test processes never share a block. One call
 * takes 4 ports (RTP and RTCP on each side): a block serves 250 calls at once.
 * `interfaces` are rtpengine's --interface values: `127.0.0.1` (the default), or named ones
 * for direction pairs, e.g. `['pub/127.0.0.1', 'priv/127.0.0.2']` (all of 127/8 is loopback).
 * Kernel forwarding is off (--table=-1) and deleted calls go at once (--delete-delay=0).
 * Ready = the ng port is bound by the process tree and rtpengine answers ng `ping` with
 * `pong` (a bencoded ping written here, so the helper does not depend on the client it tests).
 * It runs under GNU timeout (maxLifetimeS, default 600 s): a test process killed without
 * cleanup cannot leave an rtpengine behind for long. stop() = SIGTERM, then SIGKILL.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { logTail as tail, spawnTracked, stopChild, type ChildExit, type TrackedChild } from './child-processes.js';
import { isPortLeased, leasePort, releasePortLeases } from './port-leases.js';
import { freeTcpPort, freeUdpPort, waitForUdpPort } from './ports.js';
import { listSockets } from './socket-table.js';

export const RTPENGINE_BIN = 'rtpengine';
/** RTP port blocks: [first, first + RTP_BLOCK_SIZE) for first = 20000, 21000, ... 29000. */
export const RTP_BLOCK_RANGE = Object.freeze({ first: 20_000, last: 29_999 });
export const RTP_BLOCK_SIZE = 1_000;

export interface RtpengineOptions {
  /** --interface values; default ['127.0.0.1']. */
  readonly interfaces?: readonly string[];
  /** Address of the ng and CLI listeners; default 127.0.0.1. */
  readonly listenAddress?: string;
  /** ng port, e.g. the one of an instance stopped before (a restart); default a free one. */
  readonly ngPort?: number;
  /** RTP ports in the range (4 per call), at most RTP_BLOCK_SIZE; default RTP_BLOCK_SIZE. */
  readonly rtpPorts?: number;
  /** rtpengine's -L (syslog levels: 5 notice, 6 info, 7 debug); default 6. */
  readonly logLevel?: number;
  readonly extraArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** Hard limit on the process lifetime (GNU timeout), default 600 s. */
  readonly maxLifetimeS?: number;
  /** Keep the run directory (log, pid file) after stop(). */
  readonly keepDir?: boolean;
}

export interface RtpengineHandle {
  /** Where to send ng commands. */
  readonly ng: { readonly host: string; readonly port: number };
  readonly cliPort: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly interfaces: readonly string[];
  readonly pid: number | undefined;
  /** Everything rtpengine logged so far. */
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL of its process group; frees the RTP block. Safe to call twice. */
  stop(): Promise<ChildExit>;
}

const DEFAULT_READY_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_LIFETIME_S = 600;


/** Claims a block of RTP ports nobody has bound or leased; the lease lasts until released. */
async function claimRtpBlock(): Promise<number> {
  const bound = new Set((await listSockets('udp')).map((e) => e.localPort));
  for (let first = RTP_BLOCK_RANGE.first; first + RTP_BLOCK_SIZE - 1 <= RTP_BLOCK_RANGE.last; first += RTP_BLOCK_SIZE) {
    let busy = false;
    for (let port = first; port < first + RTP_BLOCK_SIZE && !busy; port++) busy = bound.has(port);
    if (busy || (await isPortLeased(first))) continue;
    if (await leasePort(first, Number.POSITIVE_INFINITY)) return first;
  }
  throw new Error(`no free block of ${RTP_BLOCK_SIZE} RTP ports in ${RTP_BLOCK_RANGE.first}-${RTP_BLOCK_RANGE.last}`);
}

/** One ng ping; true when `pong` came back within `timeoutMs`. */
function ngPing(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const cookie = `ready${process.pid}`;
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('message', (message) => {
      const text = message.toString('latin1');
      if (text.startsWith(`${cookie} `) && text.includes('6:result4:pong')) finish(true);
    });
    socket.send(Buffer.from(`${cookie} d7:command4:pinge`, 'latin1'), port, host);
  });
}

/** Starts one rtpengine and resolves when it answers ping; rejects (with its log tail) otherwise. */
export async function startRtpengine(options: RtpengineOptions = {}): Promise<RtpengineHandle> {
  const rtpPorts = options.rtpPorts ?? RTP_BLOCK_SIZE;
  if (rtpPorts < 4 || rtpPorts > RTP_BLOCK_SIZE) throw new RangeError(`rtpPorts must be 4..${RTP_BLOCK_SIZE}, got ${rtpPorts}`);
  const interfaces = options.interfaces ?? ['127.0.0.1'];
  const host = options.listenAddress ?? '127.0.0.1';
  const runDir = await mkdtemp(join(tmpdir(), 'sipmesh-rtpengine-'));
  const logPath = join(runDir, 'rtpengine.log');
  const portMin = await claimRtpBlock();
  const portMax = portMin + rtpPorts - 1;
  let child: TrackedChild | undefined;
  let stopped: Promise<ChildExit> | undefined;
  const stop = (): Promise<ChildExit> => {
    stopped ??= (async () => {
      const exit = child === undefined ? { code: null, signal: null } : await stopChild(child, [
        { signal: 'SIGTERM', waitMs: 5_000 },
        { signal: 'SIGKILL', waitMs: 5_000, group: true },
      ]);
      await releasePortLeases([portMin]);
      if (options.keepDir !== true) await rm(runDir, { recursive: true, force: true });
      return exit;
    })();
    return stopped;
  };
  try {
    const ngPort = options.ngPort ?? (await freeUdpPort());
    const cliPort = await freeTcpPort();
    const args = [
      '--kill-after=5', String(options.maxLifetimeS ?? DEFAULT_MAX_LIFETIME_S),
      RTPENGINE_BIN,
      '--config-file=none',
      '--foreground',
      '--log-stderr',
      '--table=-1',
      ...interfaces.map((i) => `--interface=${i}`),
      `--listen-ng=${host}:${ngPort}`,
      `--listen-cli=${host}:${cliPort}`,
      `--port-min=${portMin}`,
      `--port-max=${portMax}`,
      `--log-level=${options.logLevel ?? 6}`,
      '--delete-delay=0',
      `--pidfile=${join(runDir, 'rtpengine.pid')}`,
      ...(options.extraArgs ?? []),
    ];
    const logFile = await open(logPath, 'w');
    try {
      child = spawnTracked(`rtpengine ${host}:${ngPort}`, 'timeout', args, { cwd: runDir, stdio: ['ignore', logFile.fd, logFile.fd] });
    } finally {
      await logFile.close();
    }
    const started = child;
    if (started.pid === undefined) throw new Error(`rtpengine did not start: ${(await started.exited).spawnError?.message ?? 'no pid'}`);
    const aborter = new AbortController();
    void started.exited.then((exit) => aborter.abort(new Error(`rtpengine exited (${exit.code ?? exit.signal}) before it was ready`)));
    const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    await waitForUdpPort(ngPort, { pid: started.pid, timeoutMs, signal: aborter.signal });
    while (!(await ngPing(host, ngPort, 200))) {
      if (aborter.signal.aborted) throw aborter.signal.reason;
      if (Date.now() > deadline) throw new Error(`rtpengine ${host}:${ngPort} did not answer ping within ${timeoutMs} ms`);
      await sleep(20);
    }
    return {
      ng: { host, port: ngPort },
      cliPort,
      portMin,
      portMax,
      interfaces,
      pid: started.pid,
      log: () => readFile(logPath, 'utf8').catch(() => ''),
      stop,
    };
  } catch (error) {
    const logTail = await tail(logPath, 20);
    await stop();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${logTail}`, { cause: error });
  }
}

/**
 * Starts `count` instances (own ng, CLI and RTP ports each), one after the other (each is up in
 * about 100 ms); all or none.
 */
export async function startRtpengines(count: number, options: RtpengineOptions = {}): Promise<RtpengineHandle[]> {
  const started: RtpengineHandle[] = [];
  try {
    for (let i = 0; i < count; i++) started.push(await startRtpengine(options));
    return started;
  } catch (error) {
    await Promise.all(started.map((r) => r.stop()));
    throw error;
  }
}
