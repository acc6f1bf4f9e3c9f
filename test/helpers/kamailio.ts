/**
 * Kamailio as a reference proxy for the SIPp scenarios: the same scenarios
 * that will run against the sipmesh edge are first proven against it.
 *
 *   describe('through Kamailio', async () => {
 *     if (!(await requireKamailio())) return;     // skipped with the reason, never failed
 *     const kam = startKamailio({ config: kamailioConfigPath('proxy.cfg'), port: 16000,
 *                                 defines: { UAS1_URI: 'sip:127.0.0.1:16011' } });
 *     beforeAll(() => kam.ready);                 // sockets bound, all workers forked
 *     afterAll(() => kam.stop());
 *   });
 *
 * Kamailio runs in the foreground (-DD), logs to stderr (-E) into a file in
 * its own temporary run directory (-Y, also its ctl socket and pid file),
 * with the TLSF allocator (-x tlsf) and small memory (-m 256 -M 16). The
 * listening sockets come from -l (udp and/or tcp on one port), so a config
 * never binds the default 5060. Ready = the SIP sockets are held by the
 * Kamailio process tree and, when `kamcmd` exists, the ctl process answers
 * (which happens only after every worker has been forked).
 * It runs under GNU timeout (maxLifetimeS, default 600 s): a test process
 * killed without cleanup cannot leave a Kamailio behind for long.
 * Kamailio is a reference peer, not infrastructure: requireKamailio() skips,
 * even when SIPMESH_REQUIRE_INFRA=1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logTail as tail, spawnTracked, stopChild, type ChildExit, type TrackedChild } from './child-processes.js';
import { detectBinary, skipSuite } from './infra.js';
import { waitForTcpPort, waitForUdpPort } from './ports.js';

export type KamailioTransport = 'udp' | 'tcp';

export interface KamailioOptions {
  /** Config file; kamailioConfigPath('proxy.cfg') for the ones in test/helpers/kamailio. */
  readonly config: string;
  /** SIP port, one for every transport. */
  readonly port: number;
  readonly listenIp?: string;
  /** Default: udp and tcp. */
  readonly transports?: readonly KamailioTransport[];
  /** -A defines: strings are passed quoted (NAME="value"), numbers bare, `true` as a flag. */
  readonly defines?: Readonly<Record<string, string | number | true>>;
  readonly sharedMemoryMb?: number;
  readonly privateMemoryMb?: number;
  /** Module directory (-L); Kamailio's compiled-in default otherwise. */
  readonly modulesPath?: string;
  readonly readyTimeoutMs?: number;
  /** Hard limit on the process lifetime (GNU timeout), default 600 s. */
  readonly maxLifetimeS?: number;
  /** Keep the run directory (log, ctl socket) after stop(). */
  readonly keepDir?: boolean;
}

export interface KamailioHandle {
  /** "127.0.0.1:16000", what a SIPp UAC sends to. */
  readonly address: string;
  readonly port: number;
  /** Resolves when Kamailio is ready; rejects (with its log tail) if it exits or times out first. */
  readonly ready: Promise<void>;
  /** Everything Kamailio logged so far. */
  log(): Promise<string>;
  /** SIGTERM, then SIGKILL of its process group after 10 s. */
  stop(): Promise<ChildExit>;
}

const DEFAULT_MAX_LIFETIME_S = 600;
const DEFAULT_READY_TIMEOUT_MS = 20_000;

export function kamailioConfigPath(file: string): string {
  return resolve(fileURLToPath(new URL('./kamailio/', import.meta.url)), file);
}

/** Skips the current suite (with the reason) when kamailio is not installed; never fails. */
export async function requireKamailio(): Promise<boolean> {
  const status = await detectBinary('kamailio', ['-v'], 'version: kamailio');
  if (status.available) return true;
  skipSuite(`needs kamailio (a reference peer, never required): ${status.detail}`);
  return false;
}

function defineArgs(defines: Readonly<Record<string, string | number | true>>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(defines)) {
    if (value === true) args.push('-A', name);
    else if (typeof value === 'number') args.push('-A', `${name}=${value}`);
    else args.push('-A', `${name}=${JSON.stringify(value)}`);
  }
  return args;
}

function kamcmdAnswers(runDir: string): Promise<'yes' | 'no' | 'no-kamcmd'> {
  return new Promise((resolve) => {
    execFile('kamcmd', ['-s', `unix:${join(runDir, 'kamailio_ctl')}`, 'core.uptime'], { timeout: 2_000 }, (error) => {
      if (error === null) resolve('yes');
      else resolve((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no-kamcmd' : 'no');
    });
  });
}


export function startKamailio(options: KamailioOptions): KamailioHandle {
  const listenIp = options.listenIp ?? '127.0.0.1';
  const transports = options.transports ?? ['udp', 'tcp'];
  const address = `${listenIp}:${options.port}`;
  let runDir = '';

  const started = (async (): Promise<TrackedChild> => {
    runDir = await mkdtemp(join(tmpdir(), 'sipmesh-kamailio-'));
    const args = [
      '--kill-after=5', String(options.maxLifetimeS ?? DEFAULT_MAX_LIFETIME_S),
      'kamailio',
      '-f', options.config,
      '-DD', '-E',
      '-x', 'tlsf',
      '-m', String(options.sharedMemoryMb ?? 256),
      '-M', String(options.privateMemoryMb ?? 16),
      '-Y', runDir,
      '-P', join(runDir, 'kamailio.pid'),
      ...transports.flatMap((t) => ['-l', `${t}:${address}`]),
      ...(options.modulesPath === undefined ? [] : ['-L', options.modulesPath]),
      ...defineArgs(options.defines ?? {}),
    ];
    const logFile = await open(join(runDir, 'kamailio.log'), 'w');
    try {
      return spawnTracked(`kamailio ${address}`, 'timeout', args, {
        cwd: runDir,
        stdio: ['ignore', logFile.fd, logFile.fd],
      });
    } finally {
      await logFile.close();
    }
  })();

  const ready = (async () => {
    const child = await started;
    const logPath = join(runDir, 'kamailio.log');
    if (child.pid === undefined) throw new Error(`kamailio ${address} did not start`);
    const aborter = new AbortController();
    void child.exited.then(async (exit) => {
      aborter.abort(
        new Error(`kamailio ${address} exited (${exit.code ?? exit.signal}) before it was ready:\n${await tail(logPath, 20)}`),
      );
    });
    const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    try {
      for (const t of transports) {
        const wait = t === 'udp' ? waitForUdpPort : waitForTcpPort;
        await wait(options.port, { pid: child.pid, timeoutMs, signal: aborter.signal });
      }
      for (;;) {
        const answer = await kamcmdAnswers(runDir);
        if (answer !== 'no') break;
        if (aborter.signal.aborted) throw aborter.signal.reason;
        if (Date.now() > deadline) throw new Error(`kamailio ${address}: ctl did not answer within ${timeoutMs} ms`);
        await sleep(50);
      }
    } catch (error) {
      if (aborter.signal.aborted) throw aborter.signal.reason;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}\n${await tail(logPath, 20)}`, { cause: error });
    }
  })();
  ready.catch(() => undefined);

  return {
    address,
    port: options.port,
    ready,
    async log() {
      await started.catch(() => undefined);
      try {
        return await readFile(join(runDir, 'kamailio.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      let child: TrackedChild;
      try {
        child = await started;
      } catch (error) {
        return { code: null, signal: null, spawnError: error instanceof Error ? error : new Error(String(error)) };
      }
      // GNU timeout passes SIGTERM on to Kamailio, whose main process stops its workers.
      const exit = await stopChild(child, [
        { signal: 'SIGTERM', waitMs: 10_000 },
        { signal: 'SIGKILL', waitMs: 5_000, group: true },
      ]);
      if (options.keepDir !== true && runDir !== '') await rm(runDir, { recursive: true, force: true });
      return exit;
    },
  };
}
