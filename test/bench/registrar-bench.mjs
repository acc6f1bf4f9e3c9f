// Registrar benchmark (`npm run bench -- --scenarios register`, or `node test/bench/registrar-bench.mjs`
// for the lookup and memory part alone): sipmesh's edge + registrar over NATS with the location in
// Redis (test/bench/sut-registrar.sh: private nats-server and redis-server), measured the way the
// Kamailio anchor harness measures its K2 registrar:
//   - registrations per second: SIPp with the harness's uac_register_auth scenario (REGISTER -> 401
//     -> REGISTER with digest -> 200), one new AoR per call from a users injection file, a fresh
//     SUT per run; the highest clean rate is searched by bench.mjs (lib/rate-search.mjs);
//   - lookups per second of the registrar: a NATS client firing `sipmesh.registrar.v1.lookup`
//     JSON-RPC requests (as the router does) with many in flight, against 100,000 bindings;
//   - Redis memory per binding: INFO memory used_memory of the private Redis before and after
//     100,000 bindings shaped like the ones a REGISTER writes, written through the registrar's own
//     RedisLocationStore (services/registrar/dist), into that SUT's Redis.
// Kamailio's figure is read from the harness's result folders (max.csv), not re-measured.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { exitWithin, identify, isAlive, startLogged, stopProcess, waitUntil } from './lib/child-process-control.mjs';
import { judgeRun } from './lib/clean-rule.mjs';
import {
  busyUdpPorts,
  clockTicksPerSecond,
  cpuPressureUs,
  descendantsOf,
  machineCpuNs,
  processSwitches,
  processTicks,
  reapedChildrenTicks,
  ticksOf,
  udpDropsOnPort,
  udpErrorCounters,
} from './lib/process-cpu.mjs';
import { parseRttCsv, parseStatCsv, statTotals } from './lib/sipp-stats.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

export const SIP_PORT = 5060;
export const UAC_PORT = 5080;
export const REGISTER_DEFAULTS = {
  rates: [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000],
  gran: 250,
  target: 5000,
  lookup: { bindings: 100_000, seconds: 8, inFlight: 64, domain: '127.0.0.1' },
};
const DEFAULT_HARNESS = '/work/shared/bench';
const SCENARIO_NAME = 'uac_register_auth';
const ERROR_LOG_KEEP_BYTES = 1 << 20;
const SIPP_COMMON = ['-i', '127.0.0.1', '-nostdin', '-buff_size', '1048576', '-trace_stat', '-fd', '1', '-trace_err'];

/**
 * The harness's scenarios/uac_register_auth.xml, verbatim in its messages (users from -inf: field0
 * = user, field2 = the whole [authentication ...] keyword): so the bench runs without the harness.
 */
const UAC_REGISTER_AUTH_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- Copy of the Kamailio anchor harness's scenarios/uac_register_auth.xml (written by
     test/bench/registrar-bench.mjs): REGISTER -> 401 -> REGISTER + digest -> 200, one AoR per
     line of the -inf users file. rtd 1 = first REGISTER .. final 200. -->
<scenario name="uac_register_auth">
  <send retrans="500" start_rtd="1">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Expires: 3600
      Max-Forwards: 70
      User-Agent: sipp-bench
      Content-Length: 0

    ]]>
  </send>

  <recv response="401" auth="true"/>

  <send retrans="500">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      [field2]
      Expires: 3600
      Max-Forwards: 70
      User-Agent: sipp-bench
      Content-Length: 0

    ]]>
  </send>

  <recv response="200" rtd="1"/>

  <ResponseTimeRepartition value="1, 2, 5, 10, 20, 50, 100, 200, 500, 1000"/>
  <CallLengthRepartition value="1, 2, 5, 10, 20, 50, 100, 200, 500, 1000"/>
</scenario>
`;

function round1(v) {
  return Math.round(v * 10) / 10;
}

function round2(v) {
  return Math.round(v * 100) / 100;
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

/** Registrations of a run: rate x duration (at least 500), as callsFor in sipmesh-run.mjs. */
export function registrationsFor(rate, durationS) {
  return Math.max(500, Math.round(rate * durationS));
}

/** Warm-up registrations before a measured run at `rate` (25 % of the rate for `warmupS`). */
export function warmupRegistrationsFor(rate, warmupS, share = 0.25) {
  if (!(warmupS > 0)) return 0;
  const warmRate = Math.max(50, Math.round(rate * share));
  return Math.round(warmRate * warmupS);
}

/**
 * Writes the SIPp scenario and the users (the harness's gen_users.sh format: SEQUENTIAL, then
 * `user;pw-user;[authentication username=user password=pw-user]`, users user000000...) into `dir`:
 * `users.csv` with `n` users (measured runs take them from the top: a fresh SUT per run, so every
 * REGISTER is a new AoR) and `users-warm.csv` with the last `warm` of them (the warm-up's AoRs are
 * never the measured run's). sut-registrar.sh loads users.csv as subscribers (SIPMESH_USERS_FILE).
 */
export function prepareRegisterFiles(dir, n, warm) {
  mkdirSync(dir, { recursive: true });
  const lines = new Array(n);
  for (let i = 0; i < n; i++) {
    const u = `user${String(i).padStart(6, '0')}`;
    lines[i] = `${u};pw-${u};[authentication username=${u} password=pw-${u}]`;
  }
  const usersFile = path.join(dir, 'users.csv');
  const warmFile = path.join(dir, 'users-warm.csv');
  writeFileSync(usersFile, `SEQUENTIAL\n${lines.join('\n')}\n`);
  writeFileSync(warmFile, `SEQUENTIAL\n${lines.slice(Math.max(0, n - Math.max(1, warm))).join('\n')}\n`);
  const scenarioFile = path.join(dir, `${SCENARIO_NAME}.xml`);
  writeFileSync(scenarioFile, UAC_REGISTER_AUTH_XML);
  return { usersFile, warmFile, scenarioFile, users: n, warmUsers: Math.min(n, Math.max(1, warm)) };
}

/** INFO memory / keyspace numbers of the Redis on `port` (redis-cli), null when it does not answer. */
export function redisInfo(port) {
  try {
    const text = execFileSync('redis-cli', ['-p', String(port), 'info'], { encoding: 'utf8', timeout: 5000 });
    const get = (k) => {
      const m = text.match(new RegExp(`^${k}:(\\S+)`, 'm'));
      return m ? m[1] : undefined;
    };
    const keys = text.match(/^db0:keys=(\d+)/m);
    return { used_memory: Number(get('used_memory')), used_memory_rss: Number(get('used_memory_rss')), keys: keys ? Number(keys[1]) : 0 };
  } catch {
    return null;
  }
}

function redisCli(port, ...args) {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 30_000 }).trim();
}

/**
 * Starts test/bench/sut-registrar.sh and waits until it is ready (its pids file is written).
 * @returns {Promise<{sut: any, parts: Record<string, number>, pidsFile: string, log: string}>}
 */
async function startSut({ repo, runDir, sutEnv, usersFile }) {
  const pidsFile = path.join(runDir, 'sut.pids');
  const log = path.join(runDir, 'sut.log');
  const sut = startLogged(path.join(repo, 'test', 'bench', 'sut-registrar.sh'), [], {
    cwd: runDir,
    env: { ...process.env, ...sutEnv, SIPMESH_PIDS_FILE: pidsFile, SIPMESH_USERS_FILE: usersFile },
    stdoutFile: log,
    stderrFile: log,
  });
  if (!(await waitUntil(() => existsSync(pidsFile) || !isAlive(sut.pid), 90_000)) || !isAlive(sut.pid)) {
    await stopProcess(sut, { signal: 'SIGTERM', graceMs: 25_000 });
    throw new Error(`sut-registrar.sh did not get ready: ${readIfExists(log).split('\n').slice(-6).join(' | ')}`);
  }
  return { sut, parts: readPidsFile(pidsFile), pidsFile, log };
}

/**
 * One bounded REGISTER run: sut-registrar.sh on 5060 (fresh: empty Redis), optional warm-up with
 * users of `warmFile`, then the SIPp UAC on 5080 at `rate` for `durationS` s (registrations = rate x
 * duration, users from the top of `usersFile`). Result shape as runSipmesh (lib/sipmesh-run.mjs),
 * plus `redis` (memory before/after the measured run). CPU = nats-server + redis-server + registrar
 * + edge (+ the script) over the UAC's run.
 * @param {{repo?: string, rate: number, durationS: number, runDir: string, files: {usersFile: string, warmFile: string, scenarioFile: string, users: number},
 *   sutEnv?: Record<string, string>, keepTraces?: boolean, warmupS?: number, warmupShare?: number}} o
 */
export async function runRegister(o) {
  const repo = o.repo ?? REPO;
  const busy = busyUdpPorts([SIP_PORT, UAC_PORT]);
  if (busy.length > 0) throw new Error(`UDP port(s) ${busy.join(', ')} already in use; not starting`);
  mkdirSync(o.runDir, { recursive: true });
  const hz = clockTicksPerSecond();
  const count = registrationsFor(o.rate, o.durationS);
  if (count > o.files.users) throw new Error(`${count} registrations but only ${o.files.users} users: AoRs would repeat`);
  const nominalS = Math.ceil(count / o.rate);
  const uacTimeoutS = nominalS + 10;
  const started = [];
  let sut;
  let sutTree = [];
  try {
    const s = await startSut({ repo, runDir: o.runDir, sutEnv: o.sutEnv ?? {}, usersFile: o.files.usersFile });
    sut = s.sut;
    started.push(sut);
    const parts = Object.fromEntries(Object.entries(s.parts).filter(([k]) => !k.endsWith('-port')));
    const redisPort = s.parts['redis-port'];
    await sleep(1000);
    let warmup = null;
    if ((o.warmupS ?? 0) > 0) {
      // not in the harness: JIT-warm processes before the measured run (excluded from every figure)
      const warmRate = Math.max(50, Math.round(o.rate * (o.warmupShare ?? 0.25)));
      warmup = await runUac({
        scenarioFile: o.files.scenarioFile,
        usersFile: o.files.warmFile,
        rate: warmRate,
        count: Math.min(Math.round(warmRate * /** @type {number} */ (o.warmupS)), o.files.warmUsers ?? Infinity),
        dir: path.join(o.runDir, 'warmup'),
      });
      await sleep(1500);
    }
    const treePids = [sut.pid, ...descendantsOf(sut.pid)];
    sutTree = identify(treePids);
    const redis0 = redisPort ? redisInfo(redisPort) : null;

    const t0 = { sut: ticksOf(treePids), uac: reapedChildrenTicks(process.pid) };
    const p0 = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, processTicks(pid)]));
    const sw0 = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, processSwitches(pid)]));
    const m0 = machineCpuNs();
    const psi0 = cpuPressureUs();
    const udp0 = udpErrorCounters();
    const sutDrops0 = udpDropsOnPort(SIP_PORT);
    const wall0 = process.hrtime.bigint();

    const uacArgs = [
      `127.0.0.1:${SIP_PORT}`,
      '-sf', o.files.scenarioFile,
      '-inf', o.files.usersFile,
      '-p', String(UAC_PORT),
      ...SIPP_COMMON,
      '-trace_rtt', '-rtt_freq', '1000',
      '-r', String(o.rate), '-rp', '1000', '-m', String(count),
      '-timeout', `${uacTimeoutS}s`, '-timeout_error', '-recv_timeout', '5000', '-nd',
    ];
    const uac = startLogged('sipp', uacArgs, { cwd: o.runDir, env: process.env, stdoutFile: path.join(o.runDir, 'uac.stdout'), stderrFile: path.join(o.runDir, 'uac.stderr') });
    started.push(uac);
    let uacDrops = 0;
    const dropsTimer = setInterval(() => {
      uacDrops = Math.max(uacDrops, udpDropsOnPort(UAC_PORT));
    }, 1000);
    let uacExit = await exitWithin(uac, (uacTimeoutS + 10) * 1000);
    clearInterval(dropsTimer);
    if (uacExit === null) uacExit = await stopProcess(uac, { signal: 'SIGKILL', graceMs: 5000 });

    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
    const t1 = { sut: ticksOf(treePids), uac: reapedChildrenTicks(process.pid) };
    const p1 = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, processTicks(pid)]));
    const sw1 = Object.fromEntries(Object.entries(parts).map(([name, pid]) => [name, processSwitches(pid)]));
    const machineNs = machineCpuNs() - m0;
    const psiUs = cpuPressureUs() - psi0;
    const udp1 = udpErrorCounters();
    const sutDrops = udpDropsOnPort(SIP_PORT) - sutDrops0;
    const sutAlive = isAlive(sut.pid) && sut.child.exitCode === null;
    // bindings left by the run: Redis memory per registration, nonce-count keys (300 s) included
    const redis1 = redisPort ? redisInfo(redisPort) : null;
    let aors = null;
    try {
      aors = redisPort ? Number(redisCli(redisPort, 'zcard', 'sipmesh:loc:aors')) : null;
    } catch {
      aors = null;
    }

    const sutExit = await stopProcess(sut, { signal: 'SIGTERM', graceMs: 25_000, alsoKill: sutTree });

    const statFile = findFile(o.runDir, `${SCENARIO_NAME}_`, '_.csv');
    const rttFile = findFile(o.runDir, `${SCENARIO_NAME}_`, '_rtt.csv');
    const uacTotals = statTotals(parseStatCsv(readIfExists(statFile)));
    const response = parseRttCsv(readIfExists(rttFile));
    const verdict = judgeRun({ offered: o.rate, count, uacExitCode: uacExit.code, uac: uacTotals, uas: null });
    if (!sutAlive) {
      verdict.clean = false;
      verdict.strict = false;
      verdict.reasons.push(`SUT exited during the run (${JSON.stringify(sutExit)})`);
    }
    const pctOfCore = (ticks) => round1((100 * ticks) / hz / wallS);
    const sutTicks = t1.sut - t0.sut;
    const uacTicks = t1.uac - t0.uac;
    const machinePct = round1((100 * machineNs) / 1e9 / wallS);
    const successful = uacTotals?.successful ?? 0;
    const result = {
      system: 'sipmesh',
      scenario: 'register',
      offered_rate: o.rate,
      count,
      achieved_rate: round1(uacTotals?.achievedRate ?? 0),
      successful,
      failed: uacTotals?.failed ?? count,
      uac_retrans: uacTotals?.retransmissions ?? 0,
      uas_retrans: 0,
      uas_failed: 0,
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
        // wake-ups (voluntary) and preemptions (involuntary) per registration: where this VM's CPU goes
        parts_switches_per_call: Object.fromEntries(
          Object.keys(parts).map((name) => [
            name,
            successful > 0
              ? {
                  voluntary: round2((sw1[name].voluntary - sw0[name].voluntary) / successful),
                  involuntary: round2((sw1[name].involuntary - sw0[name].involuntary) / successful),
                }
              : null,
          ]),
        ),
        sipp_uas_pct: null,
        sipp_uac_pct: pctOfCore(uacTicks),
        machine_pct: machinePct,
        other_pct: round1(machinePct - pctOfCore(sutTicks + uacTicks)),
        psi_pct: round1((100 * psiUs) / 1e6 / wallS),
        machine_capacity_pct: 100 * availableParallelism(),
      },
      drops: { sut_socket: sutDrops, uas_socket: 0, uac_socket: uacDrops, udp_rcvbuf_errors: udp1.rcvbufErrors - udp0.rcvbufErrors },
      redis:
        redis0 && redis1
          ? {
              used_memory_before: redis0.used_memory,
              used_memory_after: redis1.used_memory,
              keys_after: redis1.keys,
              aors_after: aors,
              bytes_per_registration: aors ? Math.round((redis1.used_memory - redis0.used_memory) / aors) : null,
            }
          : null,
      wall_s: round1(wallS * 1000) / 1000,
      uac_window_monotonic_us: [Number(wall0 / 1000n), Number(wall0 / 1000n) + Math.round(wallS * 1e6)],
      run_dir: o.runDir,
    };
    if (!o.keepTraces) {
      for (const f of [rttFile, findFile(o.runDir, `${SCENARIO_NAME}_`, '_screen.log')]) if (f) rmSync(f, { force: true });
      for (const name of readdirSync(o.runDir).filter((n) => n.endsWith('_errors.log'))) {
        const f = path.join(o.runDir, name);
        if (statSync(f).size > ERROR_LOG_KEEP_BYTES) truncateSync(f, ERROR_LOG_KEEP_BYTES);
      }
    }
    return result;
  } finally {
    for (const s of started.reverse()) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        await stopProcess(s, { signal: 'SIGTERM', graceMs: s === sut ? 25_000 : 5000, alsoKill: s === sut ? sutTree : [] });
      }
    }
  }
}

/** A SIPp UAC run outside the measurement (warm-up), in its own folder. */
async function runUac({ scenarioFile, usersFile, rate, count, dir }) {
  mkdirSync(dir, { recursive: true });
  const nominalS = Math.ceil(count / rate);
  const uac = startLogged(
    'sipp',
    [
      `127.0.0.1:${SIP_PORT}`, '-sf', scenarioFile, '-inf', usersFile, '-p', String(UAC_PORT), ...SIPP_COMMON,
      '-r', String(rate), '-rp', '1000', '-m', String(count), '-timeout', `${nominalS + 10}s`, '-timeout_error', '-recv_timeout', '5000', '-nd',
    ],
    { cwd: dir, env: process.env, stdoutFile: path.join(dir, 'uac.stdout'), stderrFile: path.join(dir, 'uac.stderr') },
  );
  let exit = await exitWithin(uac, (nominalS + 20) * 1000);
  if (exit === null) exit = await stopProcess(uac, { signal: 'SIGKILL', graceMs: 5000 });
  const t = statTotals(parseStatCsv(readIfExists(findFile(dir, `${SCENARIO_NAME}_`, '_.csv'))));
  return { rate, count, uac_exit: exit.code, successful: t?.successful ?? 0, failed: t?.failed ?? count, retransmissions: t?.retransmissions ?? 0 };
}

function quantile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A binding as the registrar writes it for the harness's REGISTER (compare `HGETALL sipmesh:loc:aor:user000001@127.0.0.1`). */
function benchBinding(i, domain, now) {
  const user = `user${String(i).padStart(6, '0')}`;
  return {
    aor: `${user}@${domain}`,
    contact: `sip:${user}@127.0.0.1:5080`,
    ruid: randomUUID(),
    expiresAtMs: now + 3600_000,
    q: undefined,
    callId: `${i + 1}-${process.pid}@127.0.0.1`,
    cseq: 2,
    edge: 'edge1',
    nat: false,
    lastModifiedMs: now,
    userAgent: 'sipp-bench',
    socket: 'udp:127.0.0.1:5060',
    edgeUri: 'sip:127.0.0.1:5060;transport=udp',
  };
}

/**
 * Lookups per second and Redis memory per binding, on one sut-registrar.sh (its own nats-server
 * and Redis; nothing on 5060 is sent):
 *   1. used_memory of the idle Redis; `bindings` AoRs with one binding each written through the
 *      registrar's RedisLocationStore (same key prefix and key grace as the registrar), 256 writes
 *      in flight; used_memory again -> bytes per binding, MB per 100,000;
 *   2. `sipmesh.registrar.v1.lookup` requests (the router's shape, contracts/examples/location-lookup.json)
 *      for random AoRs of those, `inFlight` at a time for `seconds` s, every answer checked to
 *      carry the binding -> lookups/s, registrar and Redis CPU per lookup, answer times.
 * The SIP edge is started too (the script starts it) but idle.
 * @param {{repo?: string, runDir?: string, sutEnv?: Record<string, string>, bindings?: number, seconds?: number, inFlight?: number}} [options]
 */
export async function runRegistrarLookupAndMemory(options = {}) {
  const o = { ...REGISTER_DEFAULTS.lookup, ...options };
  const repo = o.repo ?? REPO;
  const ownDir = o.runDir ? null : mkdtempSync(path.join(tmpdir(), 'sipmesh-registrar-bench-'));
  const runDir = o.runDir ?? /** @type {string} */ (ownDir);
  mkdirSync(runDir, { recursive: true });
  const busy = busyUdpPorts([SIP_PORT]);
  if (busy.length > 0) throw new Error(`UDP port ${SIP_PORT} already in use; not starting`);
  // a handful of subscribers is enough: nothing registers over SIP here
  const files = prepareRegisterFiles(path.join(runDir, 'users'), 10, 1);
  const requireFromRegistrar = createRequire(path.join(repo, 'services', 'registrar', 'package.json'));
  const { Redis } = requireFromRegistrar('ioredis');
  const { RedisLocationStore } = await import(pathToFileURL(path.join(repo, 'services', 'registrar', 'dist', 'location', 'index.js')).href);
  let sut;
  let tree = [];
  let redis;
  let nc;
  try {
    const s = await startSut({ repo, runDir, sutEnv: o.sutEnv ?? {}, usersFile: files.usersFile });
    sut = s.sut;
    tree = identify([sut.pid, ...descendantsOf(sut.pid)]);
    const redisPort = s.parts['redis-port'];
    const natsPort = s.parts['nats-port'];
    const registrarPid = s.parts['registrar'];
    const redisPid = s.parts['redis-server'];
    const natsPid = s.parts['nats-server'];
    if (!redisPort || !natsPort || !registrarPid) throw new Error(`sut-registrar.sh pids file lacks ports or pids: ${JSON.stringify(s.parts)}`);

    // 1. memory
    await sleep(500);
    const before = /** @type {NonNullable<ReturnType<typeof redisInfo>>} */ (redisInfo(redisPort));
    redis = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: false, maxRetriesPerRequest: 2 });
    // the registrar's own settings: location.keyPrefix default, keyGraceMs = 2 x sweepIntervalMs (10 s)
    const store = new RedisLocationStore({ redis, keyPrefix: 'sipmesh:loc:', keyGraceMs: 20_000 });
    const now = Date.now();
    const fill0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 256 }, async () => {
        while (next < o.bindings) {
          const i = next++;
          const b = benchBinding(i, o.domain, now);
          const r = await store.replace(b.aor, { version: 0 }, [b]);
          if (!r.ok) throw new Error(`replace of ${b.aor} conflicted (version ${r.currentVersion})`);
        }
      }),
    );
    const fillS = (Date.now() - fill0) / 1000;
    const after = /** @type {NonNullable<ReturnType<typeof redisInfo>>} */ (redisInfo(redisPort));
    const aors = Number(redisCli(redisPort, 'zcard', 'sipmesh:loc:aors'));
    const sample = redisCli(redisPort, 'memory', 'usage', `sipmesh:loc:aor:user000001@${o.domain}`);
    const bytesPerBinding = (after.used_memory - before.used_memory) / aors;
    const memory = {
      bindings: aors,
      written_in_s: round1(fillS),
      writes_per_s: Math.round(o.bindings / fillS),
      used_memory_before: before.used_memory,
      used_memory_after: after.used_memory,
      used_memory_rss_after: after.used_memory_rss,
      keys_after: after.keys,
      bytes_per_binding: Math.round(bytesPerBinding),
      mb_per_100k: round1((bytesPerBinding * 100_000) / 1e6),
      memory_usage_one_aor_key: Number(sample),
    };

    // 2. lookups over NATS
    nc = await connect({ servers: `nats://127.0.0.1:${natsPort}`, name: 'registrar-bench' });
    let n = 0;
    let bad = 0;
    let firstBad = '';
    const lat = [];
    const ask = async () => {
      const i = Math.floor(Math.random() * o.bindings);
      const aor = `user${String(i).padStart(6, '0')}@${o.domain}`;
      const id = `bench.lookup.${(++n).toString(36)}`;
      const t0 = process.hrtime.bigint();
      const m = await nc.request('sipmesh.registrar.v1.lookup', JSON.stringify({ jsonrpc: '2.0', id, method: 'lookup', params: { version: '1.0', aor } }), { timeout: 5000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const body = m.json();
      const contact = body?.result?.groups?.[0]?.[0]?.uri;
      if (contact !== `sip:${aor.split('@')[0]}@127.0.0.1:5080`) {
        bad++;
        if (!firstBad) firstBad = JSON.stringify(body).slice(0, 300);
      }
      return ms;
    };
    // warm-up: 2 s of the same load, not counted
    const loop = async (seconds, record) => {
      const until = Date.now() + seconds * 1000;
      let done = 0;
      await Promise.all(
        Array.from({ length: o.inFlight }, async () => {
          while (Date.now() < until) {
            const ms = await ask();
            if (record) lat.push(ms);
            done++;
          }
        }),
      );
      return done;
    };
    await loop(2, false);
    bad = 0;
    const hz = clockTicksPerSecond();
    const c0 = { registrar: processTicks(registrarPid), redis: processTicks(redisPid), nats: processTicks(natsPid), self: process.cpuUsage(), machine: machineCpuNs() };
    const w0 = process.hrtime.bigint();
    const done = await loop(o.seconds, true);
    const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
    const selfCpu = process.cpuUsage(c0.self);
    const us = (ticks) => ((ticks / hz) * 1e6) / done;
    lat.sort((a, b) => a - b);
    const lookups = {
      seconds: round1(wallS),
      in_flight: o.inFlight,
      lookups: done,
      per_s: Math.round(done / wallS),
      wrong_answers: bad,
      first_wrong_answer: firstBad || undefined,
      registrar_us_per_lookup: round1(us(processTicks(registrarPid) - c0.registrar)),
      redis_us_per_lookup: round1(us(processTicks(redisPid) - c0.redis)),
      nats_us_per_lookup: round1(us(processTicks(natsPid) - c0.nats)),
      client_us_per_lookup: round1((selfCpu.user + selfCpu.system) / done),
      registrar_pct: round1((100 * (processTicks(registrarPid) - c0.registrar)) / hz / wallS),
      p50_ms: Math.round(quantile(lat, 0.5) * 100) / 100,
      p99_ms: Math.round(quantile(lat, 0.99) * 100) / 100,
      machine_pct: round1((100 * (machineCpuNs() - c0.machine)) / 1e9 / wallS),
      machine_capacity_pct: 100 * availableParallelism(),
      max_ms: round1(lat[lat.length - 1] ?? 0),
    };
    return { memory, lookups };
  } finally {
    await nc?.close().catch(() => undefined);
    redis?.disconnect();
    if (sut && sut.child.exitCode === null && sut.child.signalCode === null) await stopProcess(sut, { signal: 'SIGTERM', graceMs: 25_000, alsoKill: tree });
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }
}

export function formatRegistrarLookupAndMemory(r) {
  const m = r.memory;
  const l = r.lookups;
  return [
    `registrar lookups (sipmesh.registrar.v1.lookup over NATS, ${l.in_flight} in flight, ${m.bindings.toLocaleString('en')} AoRs in Redis): ${l.per_s.toLocaleString('en')}/s` +
      ` | answer p50 ${l.p50_ms} ms p99 ${l.p99_ms} ms max ${l.max_ms} ms | CPU per lookup: registrar ${l.registrar_us_per_lookup} us (${l.registrar_pct} % of a core), redis ${l.redis_us_per_lookup} us, nats-server ${l.nats_us_per_lookup} us, client ${l.client_us_per_lookup} us; machine ${l.machine_pct}/${l.machine_capacity_pct} %` +
      (l.wrong_answers ? ` | ${l.wrong_answers} WRONG answers, e.g. ${l.first_wrong_answer}` : ''),
    `redis memory: ${m.bindings.toLocaleString('en')} bindings (one per AoR, as a REGISTER of the harness writes them, through RedisLocationStore in ${m.written_in_s} s = ${m.writes_per_s.toLocaleString('en')} writes/s):` +
      ` used_memory ${(m.used_memory_before / 1e6).toFixed(1)} -> ${(m.used_memory_after / 1e6).toFixed(1)} MB = ${m.bytes_per_binding} bytes per binding, ${m.mb_per_100k} MB per 100,000 (MEMORY USAGE of one AoR hash: ${m.memory_usage_one_aor_key} bytes)`,
  ].join('\n');
}

/**
 * Kamailio K2's highest clean REGISTER rate from the harness's result folders (max.csv of every
 * results-* folder): [{file, rate, tag}], newest sweep first; [] when there is no harness.
 */
export function kamailioRegisterFigures(harness = process.env['KAMAILIO_BENCH'] ?? DEFAULT_HARNESS) {
  const out = [];
  if (!existsSync(harness)) return out;
  for (const d of readdirSync(harness).filter((n) => n.startsWith('results')).sort().reverse()) {
    const file = path.join(harness, d, 'max.csv');
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(',');
      if (f[0] === 'k2' && f[1] === 'register' && Number(f[2]) > 0) out.push({ file, rate: Number(f[2]), tag: f[5] ?? '', when: f[4] ?? '' });
    }
  }
  return out;
}

/** One line: Kamailio K2's figure (harness sweep 3, the one with a new AoR per REGISTER, first) beside ours. */
export function formatKamailioComparison(ourMax, figures = kamailioRegisterFigures()) {
  if (figures.length === 0) return 'Kamailio K2 (harness results not found): about 17,000 registrations/s with in-memory usrloc on the reference machine';
  const sweep3 = figures.find((f) => f.file.includes('results-sweep3')) ?? figures[0];
  const all = figures.map((f) => `${f.rate}${f.tag ? ` (${f.tag})` : ''} in ${path.basename(path.dirname(f.file))}`).join(', ');
  const ratio = ourMax ? ` -> sipmesh/Kamailio ${(ourMax / sweep3.rate).toFixed(2)}` : '';
  return `Kamailio K2 (usrloc in memory, htable passwords, no qop; measured by the harness, not in this session): ${sweep3.rate.toLocaleString('en')}/s in ${sweep3.file}; all: ${all}${ratio}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await runRegistrarLookupAndMemory();
  console.log(formatRegistrarLookupAndMemory(r));
  console.log(JSON.stringify(r));
}
