/**
 * One bounded load run of sipmesh: SIPp UAS on 5070, sipmesh (test/bench/sut.sh: nats-server +
 * router + edge over NATS) on 5060, SIPp UAC on 5080 at a fixed rate for `durationS` seconds.
 * CPU counters are read right before the UAC starts and right after it ends, so start-up and
 * shutdown of the SUT are not counted. Only processes started here are stopped, by PID.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { clearInterval, setInterval } from 'node:timers';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exitWithin, identify, isAlive, startLogged, stopProcess, waitUntil } from './child-process-control.mjs';
import { judgeRun } from './clean-rule.mjs';
import {
  busyUdpPorts,
  clockTicksPerSecond,
  cpuPressureUs,
  descendantsOf,
  machineCpuNs,
  processTicks,
  reapedChildrenTicks,
  ticksOf,
  udpDropsOnPort,
  udpErrorCounters,
} from './process-cpu.mjs';
import { parseRttCsv, parseStatCsv, statTotals } from './sipp-stats.mjs';

export const SIP_PORT = 5060;
export const UAS_PORT = 5070;
export const UAC_PORT = 5080;

const SCENARIO_FILES = {
  call: { uac: 'uac-call.xml', uas: 'uas-call.xml' },
  message: { uac: 'uac-message.xml', uas: 'uas-message.xml' },
};

const ERROR_LOG_KEEP_BYTES = 1 << 20;

const SIPP_COMMON = ['-i', '127.0.0.1', '-nostdin', '-buff_size', '1048576', '-trace_stat', '-fd', '1', '-trace_err'];

/** Calls of a run: rate x duration (at least 500). */
export function callsFor(rate, durationS) {
  return Math.max(500, Math.round(rate * durationS));
}

function readIfExists(file) {
  return file && existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function findFile(dir, prefix, suffix) {
  const name = readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith(suffix));
  return name ? path.join(dir, name) : null;
}

function readPidsFile(file) {
  const parts = {};
  for (const line of readIfExists(file).split('\n')) {
    const [name, pid] = line.trim().split(' ');
    if (name && pid) parts[name] = Number(pid);
  }
  return parts;
}

/**
 * @param {{repo: string, scenario: 'call' | 'message', rate: number, durationS: number, runDir: string,
 *   sutEnv?: Record<string, string>, keepTraces?: boolean, warmupS?: number, warmupShare?: number, holdMs?: number,
 *   onSutReady?: (sut: {parts: Record<string, number>}) => Promise<void>, beforeSutStop?: () => Promise<void>}} o
 *   warmupS > 0: that many seconds of traffic at warmupShare (0.25) of the rate before the measured run;
 *   holdMs: call scenario, the caller's pause between ACK and BYE (SIPp -d, default 0);
 *   onSutReady: awaited once the SUT is up, before any traffic (e.g. start a service of one's own on its NATS);
 *   beforeSutStop: awaited after the UAC ended and the counters were read, while the SUT still runs
 */
export async function runSipmesh(o) {
  const scenarioDir = path.join(o.repo, 'test', 'bench', 'scenarios');
  const files = SCENARIO_FILES[o.scenario];
  if (!files) throw new Error(`unknown scenario ${o.scenario}`);
  const busy = busyUdpPorts([SIP_PORT, UAS_PORT, UAC_PORT]);
  if (busy.length > 0) throw new Error(`UDP port(s) ${busy.join(', ')} already in use; not starting`);
  mkdirSync(o.runDir, { recursive: true });
  const hz = clockTicksPerSecond();
  const count = callsFor(o.rate, o.durationS);
  const nominalS = Math.ceil(count / o.rate);
  const holdMs = o.scenario === 'call' ? (o.holdMs ?? 0) : 0;
  // SIPp's own bound on the UAC (global -timeout), then ours on top of it.
  const uacTimeoutS = nominalS + Math.ceil(holdMs / 1000) + 10;
  const started = [];
  let uas;
  let sut;
  let sutTree = [];
  try {
    uas = startLogged('sipp', ['-sf', path.join(scenarioDir, files.uas), '-p', String(UAS_PORT), ...SIPP_COMMON, '-timeout', `${uacTimeoutS + 30}s`], {
      cwd: o.runDir,
      env: process.env,
      stdoutFile: path.join(o.runDir, 'uas.stdout'),
      stderrFile: path.join(o.runDir, 'uas.stderr'),
    });
    started.push(uas);
    if (!(await waitUntil(() => busyUdpPorts([UAS_PORT]).length === 1 || !isAlive(uas.pid), 5000)) || !isAlive(uas.pid)) {
      throw new Error('SIPp UAS did not start (see uas.stderr)');
    }

    const pidsFile = path.join(o.runDir, 'sut.pids');
    const sutLog = path.join(o.runDir, 'sut.log');
    sut = startLogged(path.join(o.repo, 'test', 'bench', 'sut.sh'), [], {
      cwd: o.runDir,
      env: { ...process.env, ...o.sutEnv, SIPMESH_PIDS_FILE: pidsFile },
      stdoutFile: sutLog,
      stderrFile: sutLog,
    });
    started.push(sut);
    if (!(await waitUntil(() => existsSync(pidsFile) || !isAlive(sut.pid), 40_000)) || !isAlive(sut.pid)) {
      throw new Error(`sut.sh did not get ready: ${readIfExists(sutLog).split('\n').slice(-6).join(' | ')}`);
    }
    await sleep(1000);
    if (o.onSutReady) await o.onSutReady({ parts: readPidsFile(pidsFile) });
    let warmup = null;
    let uasBaseline = null;
    if ((o.warmupS ?? 0) > 0) {
      // Not part of the harness: traffic before the measured run, so that V8 has compiled the
      // hot paths (a cold edge queues for the first seconds); excluded from every figure.
      const warmRate = Math.max(50, Math.round(o.rate * (o.warmupShare ?? 0.25)));
      warmup = await runWarmup({ scenarioDir, files, rate: warmRate, count: Math.round(warmRate * /** @type {number} */ (o.warmupS)), holdMs, dir: path.join(o.runDir, 'warmup') });
      await sleep(1500);
      uasBaseline = statTotals(parseStatCsv(readIfExists(findFile(o.runDir, files.uas.replace('.xml', '_'), '_.csv'))));
    }
    const parts = readPidsFile(pidsFile);
    const treePids = [sut.pid, ...descendantsOf(sut.pid)];
    sutTree = identify(treePids);

    // counters before
    const t0 = { sut: ticksOf(treePids), uas: processTicks(uas.pid), uac: reapedChildrenTicks(process.pid) };
    const p0 = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, processTicks(pid)]));
    const m0 = machineCpuNs();
    const psi0 = cpuPressureUs();
    const udp0 = udpErrorCounters();
    const sutDrops0 = udpDropsOnPort(SIP_PORT);
    const uasDrops0 = udpDropsOnPort(UAS_PORT);
    const wall0 = process.hrtime.bigint();

    const uacArgs = [
      `127.0.0.1:${SIP_PORT}`,
      '-sf', path.join(scenarioDir, files.uac),
      '-p', String(UAC_PORT),
      ...SIPP_COMMON,
      '-trace_rtt', '-rtt_freq', '1000',
      '-r', String(o.rate), '-rp', '1000', '-m', String(count),
      '-timeout', `${uacTimeoutS}s`, '-timeout_error', '-recv_timeout', '5000', '-nd',
      ...(o.scenario === 'call' ? ['-d', String(holdMs)] : []),
    ];
    const uac = startLogged('sipp', uacArgs, {
      cwd: o.runDir,
      env: process.env,
      stdoutFile: path.join(o.runDir, 'uac.stdout'),
      stderrFile: path.join(o.runDir, 'uac.stderr'),
    });
    started.push(uac);
    // The UAC's drop counter is gone once it exits: read it every second.
    let uacDrops = 0;
    const dropsTimer = setInterval(() => {
      uacDrops = Math.max(uacDrops, udpDropsOnPort(UAC_PORT));
    }, 1000);
    let uacExit = await exitWithin(uac, (uacTimeoutS + 10) * 1000);
    clearInterval(dropsTimer);
    if (uacExit === null) uacExit = await stopProcess(uac, { signal: 'SIGKILL', graceMs: 5000 });

    // counters after (the UAC has been reaped: its CPU is in our cutime/cstime)
    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
    const t1 = { sut: ticksOf(treePids), uas: processTicks(uas.pid), uac: reapedChildrenTicks(process.pid) };
    const p1 = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, processTicks(pid)]));
    const machineNs = machineCpuNs() - m0;
    const psiUs = cpuPressureUs() - psi0;
    const udp1 = udpErrorCounters();
    const sutDrops = udpDropsOnPort(SIP_PORT) - sutDrops0;
    const uasDrops = udpDropsOnPort(UAS_PORT) - uasDrops0;
    const sutAlive = isAlive(sut.pid) && sut.child.exitCode === null;
    if (o.beforeSutStop) await o.beforeSutStop();

    await stopProcess(uas, { signal: 'SIGUSR1', graceMs: 5000 });
    const sutExit = await stopProcess(sut, { signal: 'SIGTERM', graceMs: 25_000, alsoKill: sutTree });

    // results
    const uacStatFile = findFile(o.runDir, files.uac.replace('.xml', '_'), '_.csv');
    const uasStatFile = findFile(o.runDir, files.uas.replace('.xml', '_'), '_.csv');
    const rttFile = findFile(o.runDir, files.uac.replace('.xml', '_'), '_rtt.csv');
    const uacTotals = statTotals(parseStatCsv(readIfExists(uacStatFile)));
    const uasAll = statTotals(parseStatCsv(readIfExists(uasStatFile)));
    // UAS counters of the measured run only (the warm-up's are in its file too)
    const uasTotals =
      uasAll && uasBaseline
        ? { ...uasAll, failed: uasAll.failed - uasBaseline.failed, retransmissions: uasAll.retransmissions - uasBaseline.retransmissions, successful: uasAll.successful - uasBaseline.successful }
        : uasAll;
    const response = parseRttCsv(readIfExists(rttFile));
    const verdict = judgeRun({ offered: o.rate, count, uacExitCode: uacExit.code, uac: uacTotals, uas: uasTotals });
    if (!sutAlive) {
      verdict.clean = false;
      verdict.strict = false;
      verdict.reasons.push(`SUT exited during the run (${JSON.stringify(sutExit)})`);
    }

    const pctOfCore = (ticks) => round1((100 * ticks) / hz / wallS);
    const sutTicks = t1.sut - t0.sut;
    const uacTicks = t1.uac - t0.uac;
    const uasTicks = t1.uas - t0.uas;
    const machinePct = round1((100 * machineNs) / 1e9 / wallS);
    const successful = uacTotals?.successful ?? 0;
    const result = {
      system: 'sipmesh',
      scenario: o.scenario,
      offered_rate: o.rate,
      count,
      achieved_rate: round1(uacTotals?.achievedRate ?? 0),
      successful,
      failed: uacTotals?.failed ?? count,
      uac_retrans: uacTotals?.retransmissions ?? 0,
      uas_retrans: uasTotals?.retransmissions ?? 0,
      uas_failed: uasTotals?.failed ?? 0,
      uac_exit: uacExit.code,
      warmup,
      clean: verdict.clean,
      strict: verdict.strict,
      reasons: verdict.reasons,
      response_ms: response,
      cpu: {
        sut_us_per_call: successful > 0 ? round1((sutTicks / hz / successful) * 1e6) : null,
        sut_pct: pctOfCore(sutTicks),
        parts_pct: Object.fromEntries(Object.keys(parts).map((name) => [name, pctOfCore((p1[name] ?? 0) - (p0[name] ?? 0))])),
        parts_us_per_call: Object.fromEntries(
          Object.keys(parts).map((name) => [name, successful > 0 ? round1((((p1[name] ?? 0) - (p0[name] ?? 0)) / hz / successful) * 1e6) : null]),
        ),
        sipp_uas_pct: pctOfCore(uasTicks),
        sipp_uac_pct: pctOfCore(uacTicks),
        machine_pct: machinePct,
        other_pct: round1(machinePct - pctOfCore(sutTicks + uasTicks + uacTicks)),
        psi_pct: round1((100 * psiUs) / 1e6 / wallS),
        machine_capacity_pct: 100 * availableParallelism(),
      },
      drops: {
        sut_socket: sutDrops,
        uas_socket: uasDrops,
        uac_socket: uacDrops,
        udp_rcvbuf_errors: udp1.rcvbufErrors - udp0.rcvbufErrors,
      },
      wall_s: round1(wallS * 1000) / 1000,
      // CLOCK_MONOTONIC in us, the clock of V8 CPU profiles: the UAC's window in a --cpu-prof profile
      uac_window_monotonic_us: [Number(wall0 / 1000n), Number(wall0 / 1000n) + Math.round(wallS * 1e6)],
      run_dir: o.runDir,
    };
    if (!o.keepTraces) {
      for (const f of [rttFile, findFile(o.runDir, files.uac.replace('.xml', '_'), '_screen.log'), findFile(o.runDir, files.uas.replace('.xml', '_'), '_screen.log')]) {
        if (f) rmSync(f, { force: true });
      }
      // a collapsed run logs every late message: keep the first MiB of each error log
      for (const name of readdirSync(o.runDir).filter((n) => n.endsWith('_errors.log'))) {
        const f = path.join(o.runDir, name);
        if (statSync(f).size > ERROR_LOG_KEEP_BYTES) truncateSync(f, ERROR_LOG_KEEP_BYTES);
      }
    }
    return result;
  } finally {
    // on any error or interruption: stop what is still running, by PID
    for (const s of started.reverse()) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        await stopProcess(s, { signal: s === uas ? 'SIGUSR1' : 'SIGTERM', graceMs: s === sut ? 25_000 : 5000, alsoKill: s === sut ? sutTree : [] });
      }
    }
  }
}

/** A UAC run before the measured one (own folder, so its trace files are apart). */
async function runWarmup({ scenarioDir, files, rate, count, holdMs, dir }) {
  mkdirSync(dir, { recursive: true });
  const nominalS = Math.ceil(count / rate) + Math.ceil(holdMs / 1000);
  const uac = startLogged(
    'sipp',
    [
      `127.0.0.1:${SIP_PORT}`, '-sf', path.join(scenarioDir, files.uac), '-p', String(UAC_PORT), ...SIPP_COMMON,
      '-r', String(rate), '-rp', '1000', '-m', String(count), '-timeout', `${nominalS + 10}s`, '-timeout_error', '-recv_timeout', '5000', '-nd',
      ...(files.uac === 'uac-call.xml' ? ['-d', String(holdMs)] : []),
    ],
    { cwd: dir, env: process.env, stdoutFile: path.join(dir, 'uac.stdout'), stderrFile: path.join(dir, 'uac.stderr') },
  );
  let exit = await exitWithin(uac, (nominalS + 20) * 1000);
  if (exit === null) exit = await stopProcess(uac, { signal: 'SIGKILL', graceMs: 5000 });
  const t = statTotals(parseStatCsv(readIfExists(findFile(dir, files.uac.replace('.xml', '_'), '_.csv'))));
  return { rate, count, uac_exit: exit.code, successful: t?.successful ?? 0, failed: t?.failed ?? count, retransmissions: t?.retransmissions ?? 0 };
}

function round1(v) {
  return Math.round(v * 10) / 10;
}
