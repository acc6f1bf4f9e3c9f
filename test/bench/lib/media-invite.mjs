/* global fetch */
/**
 * The invite part of the media scenario: what media anchoring adds to an INVITE's answer time.
 * SIPp UAC -> edge -> (router decides) -> SIPp UAS, the same calls (INVITE with an SDP, 100, 180,
 * 200 with an SDP, ACK, hold, BYE, 200; test/bench/scenarios/uac-call-sdp.xml, uas-call-sdp.xml)
 * at a fixed rate, in two variants through the same processes:
 *   - without: Request-URI user plain-<n>, a rule without `media`: media-control is not asked;
 *   - with: Request-URI user media-<n>, a rule with `media: { offer, answer }` (the flags of the
 *     cycles part): the edge asks media-control for an offer before relaying the INVITE, an answer
 *     on the 200 (and on nothing else: the 180 has no SDP), a delete on the BYE; media-control
 *     drives rtpengine over ng.
 * The processes (all private, all started and stopped here): nats-server, rtpengine (its RTP
 * ports leased), media-control, router (a routes file written here), edge (udp 127.0.0.1:5060,
 * the bench's SIP port, its defaults as test/bench/sut.sh starts it) and a SIPp UAS (5070) and
 * UAC (5080) per measurement.
 *
 * The INVITE -> 200 time is the UAC's own: its -trace_shortmsg line of the INVITE sent and of the
 * first 200 received for each Call-ID, in microseconds of the wall clock (SIPp's rtd, also kept,
 * counts whole ms of its coarse scheduler clock, 4 ms steps on this VM). CPU per call of each
 * process over the UAC's run plus the wait for the last deletes; other load = the machine's CPU
 * minus everything started here (SIPp and this process included): a measurement with more than
 * `otherMaxPct` % of a core of it is made again, twice at most, the least disturbed kept.
 * Checked per measurement: with media, media-control's offers, answers and deletes (its metrics)
 * and the edge's ok commands equal the calls, every callee got an SDP with a port of rtpengine's
 * range and every caller one in its 200 (the scenarios log the audio port), rtpengine holds no
 * call afterwards (ng list); without media, no command at all and no such port.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { exitWithin, isAlive, startLogged, stopProcess, waitUntil } from './child-process-control.mjs';
import { ANSWER_FLAGS, OFFER_FLAGS, quantiles } from './media-load.mjs';
import {
  affinityCount,
  logTail,
  metricsDelta,
  readMediaMetrics,
  rtpengineVersion,
  samples,
  startBounded,
  startMediaStack,
  stopBounded,
} from './media-processes.mjs';
import { busyUdpPorts, clockTicksPerSecond, machineCpuNs, processTicks, reapedChildrenTicks, udpDropsOnPort } from './process-cpu.mjs';
import { inviteTimes, loggedPorts } from './media-sipp-logs.mjs';
import { parseRttCsv, parseStatCsv, statTotals } from './sipp-stats.mjs';
import { freeTcpPort } from './tcp-ports.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCENARIOS = path.join(REPO, 'test', 'bench', 'scenarios');
export const EDGE_MAIN = path.join(REPO, 'services/edge/dist/main.js');
export const ROUTER_MAIN = path.join(REPO, 'services/router/dist/main.js');
const UAC_XML = 'uac-call-sdp.xml';
const UAS_XML = 'uas-call-sdp.xml';
/** The bench's SIP ports (test/bench/lib/sipmesh-run.mjs): edge, UAS, UAC. */
export const INVITE_PORTS = { sip: 5060, uas: 5070, uac: 5080 };
/** Request-URI user prefix of each variant (SIPp -s), what the routes tell apart. */
const USER = { without: 'plain', with: 'media' };

export const INVITE_DEFAULTS = {
  /** Calls per second of the measurements (each measured without and with media). */
  rates: [100, 200],
  /** Seconds of calls per measurement (calls = rate x seconds). */
  seconds: 15,
  /** The caller's pause between ACK and BYE (SIPp -d). */
  holdMs: 1000,
  /** Before the measurements: this many seconds of calls at warmupRate/s, each variant (the edge's JIT warm for both paths). */
  warmupS: 4,
  warmupRate: 100,
  /** A measurement with more other load than this (% of a core) is made again, twice at most. */
  otherMaxPct: 20,
  /** Keep SIPp's per-message and per-call logs (otherwise removed once read). */
  keepTraces: false,
};

const round1 = (v) => Math.round(v * 10) / 10;
const round2 = (v) => Math.round(v * 100) / 100;

/** Why the invite part cannot run here (besides the media scenario's own needs), or null. */
export function inviteProblem(inPath) {
  if (!inPath('sipp')) return 'sipp not found in PATH (Debian: apt-get install sip-tester)';
  for (const f of [EDGE_MAIN, ROUTER_MAIN]) if (!existsSync(f)) return `${path.relative(REPO, f)} missing: run "npm run build" first`;
  const busy = busyUdpPorts(Object.values(INVITE_PORTS));
  if (busy.length > 0) return `UDP port(s) ${busy.join(', ')} already in use`;
  return null;
}

/** The routes file: plain-* without media, media-* with it, both to the UAS. */
function routesDoc(uas) {
  const dst = [{ dst_uri: `sip:127.0.0.1:${uas}` }];
  return {
    policies: {
      default: {
        rules: [
          { name: 'bench-media', match: { ruri_user: `${USER.with}-*` }, routes: dst, media: { offer: OFFER_FLAGS, answer: ANSWER_FLAGS } },
          { name: 'bench-plain', match: { ruri_user: `${USER.without}-*` }, routes: dst },
        ],
      },
    },
  };
}

/** The edge's media commands by "method outcome" and its media duration histogram (sum s, count) by method. */
async function readEdgeMedia(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const commands = {};
  for (const s of samples(text, 'sipmesh_edge_media_commands_total')) commands[`${s.labels.method} ${s.labels.outcome}`] = (commands[`${s.labels.method} ${s.labels.outcome}`] ?? 0) + s.value;
  const duration = {};
  for (const s of samples(text, 'sipmesh_edge_media_duration_seconds_sum')) (duration[s.labels.method] ??= { sum_s: 0, count: 0 }).sum_s += s.value;
  for (const s of samples(text, 'sipmesh_edge_media_duration_seconds_count')) (duration[s.labels.method] ??= { sum_s: 0, count: 0 }).count += s.value;
  return { commands, duration };
}

function edgeMediaDelta(a, b) {
  const commands = {};
  for (const k of new Set([...Object.keys(a.commands), ...Object.keys(b.commands)])) {
    const d = (b.commands[k] ?? 0) - (a.commands[k] ?? 0);
    if (d !== 0) commands[k] = d;
  }
  const mean_ms = {};
  for (const m of Object.keys(b.duration)) {
    const n = b.duration[m].count - (a.duration[m]?.count ?? 0);
    if (n > 0) mean_ms[m] = round2(((b.duration[m].sum_s - (a.duration[m]?.sum_s ?? 0)) * 1000) / n);
  }
  return { commands, mean_ms };
}

function findFile(dir, prefix, suffix) {
  const name = readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith(suffix));
  return name ? path.join(dir, name) : null;
}

const readIf = (file) => {
  try {
    return file ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
};

/**
 * The whole invite part. Options: INVITE_DEFAULTS, `dir` (logs and SIPp folders, kept), `mediaSet`
 * (media-control overrides), `edgeSet` (edge overrides), `rtpengineLogLevel`, `onRun(r)` after each
 * measurement, `onDisturbed(r)` before one is made again.
 */
export async function runInviteLatency(options) {
  const o = { ...INVITE_DEFAULTS, ...options };
  const dir = o.dir;
  mkdirSync(dir, { recursive: true });
  const mc = await import(path.join(REPO, 'services/media-control/dist/index.js'));
  const ng = new mc.NgClient();
  const maxRate = Math.max(...o.rates);
  const perMeasurementS = o.seconds + o.holdMs / 1000 + 25;
  const lifetimeS = 300 + 3 * o.rates.length * 2 * perMeasurementS + 2 * (o.warmupS + 30);
  const hz = clockTicksPerSecond();
  let stack;
  let router;
  let edge;
  try {
    // calls at once: rate x (hold + ~1 s of setup and teardown)
    stack = await startMediaStack({ dir, ng, calls: Math.ceil(maxRate * (o.holdMs / 1000 + 1)), logLevel: o.rtpengineLogLevel ?? 5, mediaSet: o.mediaSet, lifetimeS, name: 'media-bench-invite' });
    const { nats, rtpe, media, nc } = stack;

    const routesFile = path.join(dir, 'routes.json');
    writeFileSync(routesFile, JSON.stringify(routesDoc(INVITE_PORTS.uas), null, 2) + '\n');
    const routerArgs = [ROUTER_MAIN, '--nats', nats.url, '--routes', routesFile, '--set', 'admin.port=0', '--set', 'log.level=warn'];
    router = await startBounded(process.execPath, routerArgs, { cwd: REPO, logFile: path.join(dir, 'router.log'), lifetimeS });
    const routerUp = await waitUntil(async () => {
      if (!isAlive(router.pid)) return true;
      return nc.request('sipmesh.route.v1.default', '{}', { timeout: 500 }).then(() => true, () => false);
    }, 20_000, 100);
    if (!routerUp || !isAlive(router.pid)) throw new Error(`router did not answer on sipmesh.route.v1.default: ${logTail(path.join(dir, 'router.log'))}`);

    const edgeAdmin = await freeTcpPort();
    const edgeArgs = [
      EDGE_MAIN, '--nats', nats.url, '--listen', `udp:127.0.0.1:${INVITE_PORTS.sip}`,
      '--set', `admin.port=${edgeAdmin}`, '--set', 'log.level=warn', '--set', 'udp.recvBufferBytes=4194304',
      ...(o.edgeSet ?? []).flatMap((kv) => ['--set', kv]),
    ];
    edge = await startBounded(process.execPath, edgeArgs, { cwd: REPO, logFile: path.join(dir, 'edge.log'), lifetimeS });
    const edgeUp = await waitUntil(async () => {
      if (!isAlive(edge.pid)) return true;
      if (busyUdpPorts([INVITE_PORTS.sip]).length === 0) return false;
      return fetch(`http://127.0.0.1:${edgeAdmin}/metrics`).then((r) => r.ok, () => false);
    }, 20_000, 50);
    if (!edgeUp || !isAlive(edge.pid)) throw new Error(`edge did not bind udp 127.0.0.1:${INVITE_PORTS.sip}: ${logTail(path.join(dir, 'edge.log'))}`);
    await sleep(500);

    const pids = { edge: edge.pid, router: router.pid, media_control: media.pid, rtpengine: rtpe.pid, nats_server: nats.pid };
    const rtpRange = [rtpe.portMin, rtpe.portMax];
    let seq = 0;

    /** One UAC run of `variant` at `rate` for `seconds` (a warm-up when `warm`), with its own UAS. */
    const measure = async (variant, rate, seconds, warm) => {
      const id = `${String(++seq).padStart(2, '0')}-${warm ? 'warmup' : 'invite'}-${variant}-${rate}`;
      const runDir = path.join(dir, id);
      mkdirSync(runDir, { recursive: true });
      const count = Math.round(rate * seconds);
      const uacTimeoutS = Math.ceil(seconds + o.holdMs / 1000) + 10;
      const common = ['-i', '127.0.0.1', '-nostdin', '-buff_size', '1048576', '-trace_stat', '-fd', '1', '-trace_err', '-trace_logs'];
      const uas = startLogged('sipp', ['-sf', path.join(SCENARIOS, UAS_XML), '-p', String(INVITE_PORTS.uas), ...common, '-timeout', `${uacTimeoutS + 30}s`], {
        cwd: runDir, env: process.env, stdoutFile: path.join(runDir, 'uas.stdout'), stderrFile: path.join(runDir, 'uas.stderr'),
      });
      try {
        if (!(await waitUntil(() => busyUdpPorts([INVITE_PORTS.uas]).length === 1 || !isAlive(uas.pid), 5000)) || !isAlive(uas.pid)) throw new Error(`SIPp UAS did not start (${runDir}/uas.stderr)`);
        const e0 = await readEdgeMedia(edgeAdmin);
        const m0 = await readMediaMetrics(media.adminPort);
        const t0 = { ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processTicks(pid)])), sipp_uas: processTicks(uas.pid), sipp_uac: reapedChildrenTicks(process.pid) };
        const self0 = process.cpuUsage();
        const machine0 = machineCpuNs();
        const drops0 = { edge: udpDropsOnPort(INVITE_PORTS.sip), uas: udpDropsOnPort(INVITE_PORTS.uas) };
        const wall0 = performance.now();
        const uac = startLogged(
          'sipp',
          [
            `127.0.0.1:${INVITE_PORTS.sip}`, '-sf', path.join(SCENARIOS, UAC_XML), '-s', USER[variant], '-p', String(INVITE_PORTS.uac), ...common,
            ...(warm ? [] : ['-trace_rtt', '-rtt_freq', '1', '-trace_shortmsg']),
            '-r', String(rate), '-rp', '1000', '-m', String(count), '-d', String(o.holdMs),
            '-timeout', `${uacTimeoutS}s`, '-timeout_error', '-recv_timeout', '5000', '-nd',
          ],
          { cwd: runDir, env: process.env, stdoutFile: path.join(runDir, 'uac.stdout'), stderrFile: path.join(runDir, 'uac.stderr') },
        );
        let uacDrops = 0;
        const dropsTimer = setInterval(() => (uacDrops = Math.max(uacDrops, udpDropsOnPort(INVITE_PORTS.uac))), 1000);
        let uacExit = await exitWithin(uac, (uacTimeoutS + 10) * 1000);
        clearInterval(dropsTimer);
        if (uacExit === null) uacExit = await stopProcess(uac, { signal: 'SIGKILL', graceMs: 5000 });
        const uacS = (performance.now() - wall0) / 1000;
        // the deletes of the last BYEs are sent after the BYE is relayed: wait for them (and for rtpengine to let the calls go)
        let left = [];
        await waitUntil(async () => {
          const e = edgeMediaDelta(e0, await readEdgeMedia(edgeAdmin));
          const offers = Object.entries(e.commands).filter(([k]) => k.startsWith('offer ')).reduce((s, [, v]) => s + v, 0);
          const deletes = Object.entries(e.commands).filter(([k]) => k.startsWith('delete ')).reduce((s, [, v]) => s + v, 0);
          left = await ng.list(rtpe.ng, { limit: 100_000 }).catch((err) => [`list failed: ${err.message}`]);
          return deletes >= offers && left.length === 0;
        }, 5000, 100);
        const t1 = { ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processTicks(pid)])), sipp_uas: processTicks(uas.pid), sipp_uac: reapedChildrenTicks(process.pid) };
        const self1 = process.cpuUsage(self0);
        const machineS = (machineCpuNs() - machine0) / 1e9;
        const windowS = (performance.now() - wall0) / 1000;
        const drops = { edge: udpDropsOnPort(INVITE_PORTS.sip) - drops0.edge, uas: udpDropsOnPort(INVITE_PORTS.uas) - drops0.uas, uac: uacDrops };
        const edgeMedia = edgeMediaDelta(e0, await readEdgeMedia(edgeAdmin));
        const mediaMetrics = metricsDelta(m0, await readMediaMetrics(media.adminPort));
        await stopProcess(uas, { signal: 'SIGUSR1', graceMs: 5000 });

        const uacStat = statTotals(parseStatCsv(readIf(findFile(runDir, UAC_XML.replace('.xml', '_'), '_.csv'))));
        const uasStat = statTotals(parseStatCsv(readIf(findFile(runDir, UAS_XML.replace('.xml', '_'), '_.csv'))));
        const shortFile = findFile(runDir, UAC_XML.replace('.xml', '_'), '_shortmessages.log');
        const rttFile = findFile(runDir, UAC_XML.replace('.xml', '_'), '_rtt.csv');
        const uacLog = findFile(runDir, UAC_XML.replace('.xml', '_'), '_logs.log');
        const uasLog = findFile(runDir, UAS_XML.replace('.xml', '_'), '_logs.log');
        const times = warm ? [] : inviteTimes(readIf(shortFile));
        const rtd = warm ? {} : parseRttCsv(readIf(rttFile));
        const sdp = { at_callee: loggedPorts(readIf(uasLog), 'offer', rtpRange), at_caller: loggedPorts(readIf(uacLog), 'answer', rtpRange) };
        if (!o.keepTraces) for (const f of [shortFile, rttFile, uacLog, uasLog]) if (f) rmSync(f, { force: true });

        const successful = uacStat?.successful ?? 0;
        const ticks = Object.fromEntries(Object.keys(t1).map((k) => [k, t1[k] - t0[k]]));
        const cpuS = { ...Object.fromEntries(Object.entries(ticks).map(([k, t]) => [k, t / hz])), bench: (self1.user + self1.system) / 1e6 };
        const oursS = Object.values(cpuS).reduce((a, b) => a + b, 0);
        const pct = (secs) => round1((100 * secs) / windowS);
        const sutKeys = ['edge', 'router', 'media_control', 'rtpengine', 'nats_server'];
        const perCall = (secs) => (successful > 0 ? round1((secs * 1e6) / successful) : null);
        const r = {
          id,
          variant,
          warmup: warm,
          rate,
          seconds,
          hold_ms: o.holdMs,
          calls: count,
          created: uacStat?.created ?? 0,
          successful,
          failed: uacStat?.failed ?? count,
          uas_failed: uasStat?.failed ?? null,
          retransmissions: { uac: uacStat?.retransmissions ?? null, uas: uasStat?.retransmissions ?? null },
          achieved_rate: round1(uacStat?.achievedRate ?? 0),
          uac_exit: uacExit.code,
          uac_s: round2(uacS),
          window_s: round2(windowS),
          // the UAC's wall clock, microseconds (-trace_shortmsg): INVITE sent -> first 200 received
          invite_to_200_ms: quantiles(times),
          invite_to_200_mean_ms: times.length > 0 ? round2(times.reduce((a, b) => a + b, 0) / times.length) : null,
          // SIPp's rtd 1 (the same interval, whole ms of its coarse clock)
          sipp_rtd_ms: rtd.rtd1 ?? null,
          cpu_us_per_call: { ...Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, perCall(v)])), sut: perCall(sutKeys.reduce((s, k) => s + cpuS[k], 0)) },
          cpu_pct: { ...Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, pct(v)])), machine: pct(machineS), other: round1(pct(machineS) - pct(oursS)) },
          udp_drops: drops,
          media_control_metrics: mediaMetrics,
          edge_media: edgeMedia,
          sdp_ports: sdp,
          left_in_rtpengine: left.length,
          left_in_rtpengine_sample: left.slice(0, 5),
          run_dir: runDir,
        };
        r.problems = checkRun(r);
        return r;
      } finally {
        if (uas.child.exitCode === null && uas.child.signalCode === null) await stopProcess(uas, { signal: 'SIGUSR1', graceMs: 5000 });
      }
    };

    const warmups = [];
    if (o.warmupS > 0) for (const variant of ['without', 'with']) warmups.push(await measure(variant, o.warmupRate, o.warmupS, true));
    // the processes' own work without calls (timers, health pings, GC), % of a core: at these rates a large share of their CPU per call
    const idle0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processTicks(pid)]));
    const idleMachine0 = machineCpuNs();
    const idleAt = performance.now();
    await sleep(3000);
    const idleS = (performance.now() - idleAt) / 1000;
    const idlePct = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, round1((100 * (processTicks(pid) - idle0[k])) / hz / idleS)]));
    idlePct.machine = round1((100 * (machineCpuNs() - idleMachine0)) / 1e9 / idleS);
    const runs = [];
    // without then with at the first rate, with then without at the next, ...: a drift of the VM's speed hits both
    for (const [k, rate] of o.rates.entries()) {
      for (const variant of k % 2 === 0 ? ['without', 'with'] : ['with', 'without']) {
        const attempts = [];
        for (let attempt = 1; attempt <= 3; attempt++) {
          const r = await measure(variant, rate, o.seconds, false);
          r.attempt = attempt;
          r.disturbed = r.cpu_pct.other > o.otherMaxPct;
          attempts.push(r);
          o.onRun?.(r);
          if (!r.disturbed) break;
          if (attempt < 3) o.onDisturbed?.(r);
        }
        const kept = attempts.reduce((a, b) => (b.cpu_pct.other < a.cpu_pct.other ? b : a));
        if (attempts.length > 1) kept.other_pct_of_attempts = attempts.map((x) => x.cpu_pct.other);
        runs.push(kept);
      }
    }
    const comparisons = o.rates.map((rate) => compareInvite(runs.find((r) => r.rate === rate && r.variant === 'without'), runs.find((r) => r.rate === rate && r.variant === 'with')));
    const finalList = await ng.list(rtpe.ng, { limit: 100_000 }).catch((e) => [`list failed: ${e.message}`]);
    const finalAffinity = await affinityCount(media.adminPort).catch(() => null);
    const problems = [];
    for (const r of [...warmups, ...runs]) for (const p of r.problems) problems.push(`${r.id}: ${p}`);
    if (finalList.length > 0) problems.push(`rtpengine holds ${finalList.length} calls at the end (${finalList.slice(0, 3).join(', ')})`);
    if (finalAffinity !== 0) problems.push(`media-control's affinity store holds ${finalAffinity} calls at the end`);
    return {
      ok: problems.length === 0,
      problems,
      options: { rates: o.rates, seconds: o.seconds, hold_ms: o.holdMs, warmup_s: o.warmupS, warmup_rate: o.warmupRate, other_max_pct: o.otherMaxPct },
      rtpengine: { version: rtpengineVersion(), rtp_ports: rtpRange, args: rtpe.args },
      edge: { args: edgeArgs.slice(1) },
      router: { args: routerArgs.slice(1) },
      media_control: { args: media.args.slice(1) },
      routes: routesDoc(INVITE_PORTS.uas),
      scenarios: { uac: `test/bench/scenarios/${UAC_XML}`, uas: `test/bench/scenarios/${UAS_XML}` },
      idle_pct: idlePct,
      warmups: warmups.map((w) => ({ id: w.id, variant: w.variant, rate: w.rate, calls: w.calls, successful: w.successful, failed: w.failed, problems: w.problems })),
      runs,
      comparisons,
      final_check: { calls_in_rtpengine: finalList.length, calls_in_affinity: finalAffinity },
      dir,
    };
  } finally {
    // the edge first (no call left without its router), then the rest
    await stopBounded(edge);
    await stopBounded(router);
    await stack?.stop();
    await ng.close();
  }
}

/** What a measurement must show: every call through, anchored exactly when it should be, nothing left. */
function checkRun(r) {
  const p = [];
  const c = r.successful;
  if (r.failed > 0 || c !== r.calls) p.push(`${r.successful}/${r.calls} calls successful, ${r.failed} failed`);
  if (r.uas_failed) p.push(`${r.uas_failed} failed at the UAS`);
  const mc = r.media_control_metrics.commands;
  const ok = (m) => mc[m]?.ok ?? 0;
  const notOk = Object.entries(mc).flatMap(([m, outcomes]) => Object.entries(outcomes).filter(([k, v]) => k !== 'ok' && v > 0).map(([k, v]) => `${m} ${k} ${v}`));
  const edgeNotOk = Object.entries(r.edge_media.commands).filter(([k, v]) => !k.endsWith(' ok') && v > 0).map(([k, v]) => `${k} ${v}`);
  if (r.variant === 'with') {
    for (const m of ['offer', 'answer', 'delete']) {
      if (ok(m) !== r.created) p.push(`media-control answered ${ok(m)} ${m}s ok for ${r.created} calls`);
      if ((r.edge_media.commands[`${m} ok`] ?? 0) !== r.created) p.push(`the edge counted ${r.edge_media.commands[`${m} ok`] ?? 0} ${m}s ok for ${r.created} calls`);
    }
    if ((r.media_control_metrics.deletes.true ?? 0) !== r.created) p.push(`${r.media_control_metrics.deletes.true} deletes found their call, of ${r.created}`);
    if (r.sdp_ports.at_callee.rtpengine !== c || r.sdp_ports.at_callee.other > 0) p.push(`callee SDPs with rtpengine's port ${r.sdp_ports.at_callee.rtpengine}/${c} (other ports ${r.sdp_ports.at_callee.other})`);
    if (r.sdp_ports.at_caller.rtpengine !== c || r.sdp_ports.at_caller.other > 0) p.push(`caller SDPs (200) with rtpengine's port ${r.sdp_ports.at_caller.rtpengine}/${c} (other ports ${r.sdp_ports.at_caller.other})`);
  } else {
    const any = Object.values(mc).reduce((s, outcomes) => s + Object.values(outcomes).reduce((a, b) => a + b, 0), 0) + Object.values(r.edge_media.commands).reduce((a, b) => a + b, 0);
    if (any > 0) p.push(`media commands without media: ${JSON.stringify(mc)} / edge ${JSON.stringify(r.edge_media.commands)}`);
    if (r.sdp_ports.at_callee.rtpengine > 0 || r.sdp_ports.at_caller.rtpengine > 0) p.push('an SDP with a port of rtpengine without media');
    if (r.sdp_ports.at_callee.other !== c || r.sdp_ports.at_caller.other !== c) p.push(`SDP ports logged: callee ${r.sdp_ports.at_callee.other}, caller ${r.sdp_ports.at_caller.other}, of ${c}`);
  }
  if (notOk.length > 0) p.push(`media-control outcomes other than ok: ${notOk.join(', ')}`);
  if (edgeNotOk.length > 0) p.push(`edge media outcomes other than ok: ${edgeNotOk.join(', ')}`);
  if (r.left_in_rtpengine > 0) p.push(`${r.left_in_rtpengine} calls left in rtpengine (${r.left_in_rtpengine_sample.join(', ')})`);
  if (!r.warmup && r.invite_to_200_ms.n !== c) p.push(`INVITE -> 200 times of ${r.invite_to_200_ms.n} calls, ${c} successful`);
  return p;
}

/** with minus without at one rate. */
function compareInvite(without, withMedia) {
  if (!without || !withMedia) return null;
  const a = withMedia.invite_to_200_ms;
  const b = without.invite_to_200_ms;
  const added = (q) => (a[q] !== null && b[q] !== null ? round2(a[q] - b[q]) : null);
  const cpuAdded = (k) => (withMedia.cpu_us_per_call[k] !== null && without.cpu_us_per_call[k] !== null ? round1(withMedia.cpu_us_per_call[k] - without.cpu_us_per_call[k]) : null);
  return {
    rate: withMedia.rate,
    invite_to_200_ms: { without: b, with: a },
    added_ms: { p50: added('p50'), p95: added('p95'), p99: added('p99'), max: added('max'), mean: withMedia.invite_to_200_mean_ms !== null && without.invite_to_200_mean_ms !== null ? round2(withMedia.invite_to_200_mean_ms - without.invite_to_200_mean_ms) : null },
    // the edge's own view of the two commands on the INVITE's path (mean of its histogram)
    edge_media_mean_ms: withMedia.edge_media.mean_ms,
    cpu_us_per_call: { without: without.cpu_us_per_call.sut, with: withMedia.cpu_us_per_call.sut, added: cpuAdded('sut'), added_edge: cpuAdded('edge') },
    disturbed: Boolean(without.disturbed || withMedia.disturbed),
  };
}
