// Media control benchmark (`npm run bench -- --scenarios media`, or `node test/bench/media-bench.mjs`):
// offer -> answer -> delete cycles (a new call each, a 1:1 NAT SDP with one audio m-line, flags
// 'replace-origin replace-session-connection ICE=remove') with a fixed number of calls in flight,
//   - through media-control over NATS: JSON-RPC requests on sipmesh.media.v1.offer|answer|delete
//     from this process (one NATS connection, as an edge has), media-control (its own process,
//     affinity in memory) sending ng to rtpengine;
//   - straight to the same rtpengine with the ng client (NgClient of services/media-control, the
//     same ng keys, the same in-flight cap and timers as media-control's),
// one after the other at each number of calls in flight (default 50 for --media-seconds, then a
// sweep of 1, 10 and 200 for half as long). Per measurement: cycles/s, commands/s, p50/p95/p99 of
// each command's round trip at the asking side, errors (each reply is checked), retransmissions
// and UDP drops, CPU per command of media-control, rtpengine, nats-server and this process, and
// the machine's CPU (the rest is other load: a measurement with more than `otherMaxPct` % of a core
// of it is made again, twice at most). rtpengine must hold no call after each measurement and at
// the end (ng `list`), media-control's affinity store none either: a leak fails the scenario.
// nats-server, rtpengine and media-control are started here and nowhere else (free ports, the
// RTP ports leased as the tests' helper leases them) and stopped at the end.
// The invite part (lib/media-invite.mjs, parts: ['invite']): SIPp calls through edge + router, the
// same calls without and with media anchoring (a rule with `media`: offer before the INVITE is
// relayed, answer on the 200, delete on the BYE) at fixed rates (default 100 and 200 calls/s for
// 15 s each): the INVITE -> 200 time at the caller (p50/p95/p99/max, and what media adds), CPU per
// call of edge, router, media-control, rtpengine and nats-server; every anchored call checked.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stopAllStarted } from './lib/child-process-control.mjs';
import { ANSWER_FLAGS, directCycle, mediaControlCycle, OFFER_FLAGS, quantiles, runCycles } from './lib/media-load.mjs';
import {
  affinityCount,
  MEDIA_CONTROL_MAIN,
  metricsDelta,
  readMediaMetrics,
  RTPENGINE_BIN,
  rtpengineVersion,
  startMediaStack,
  udpDrops,
} from './lib/media-processes.mjs';
import { INVITE_DEFAULTS, inviteProblem, runInviteLatency } from './lib/media-invite.mjs';
import { formatInviteRun, formatMediaBench, formatMediaRun } from './lib/media-report.mjs';
import { clockTicksPerSecond, machineCpuNs, processTicks } from './lib/process-cpu.mjs';

export { formatInviteRun, formatMediaBench, formatMediaRun } from './lib/media-report.mjs';
export { INVITE_DEFAULTS } from './lib/media-invite.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const MEDIA_INDEX = path.join(REPO, 'services/media-control/dist/index.js');

export const MEDIA_DEFAULTS = {
  /** Calls in flight of the main measurement, and its seconds. */
  concurrency: 50,
  seconds: 10,
  warmupS: 2,
  /** Calls in flight of the other measurements (half as long, 1 s warm-up); [] for none. */
  sweep: [1, 10, 200],
  sweepWarmupS: 1,
  /** What the bench waits for a reply over NATS (media-control's own ng timeout is 2 s). */
  requestTimeoutMs: 5000,
  /** rtpengine's --log-level: 5 (notice) leaves out its line per command of 6 (info). */
  rtpengineLogLevel: 5,
  /** A measurement with more other load than this (% of a core) is made again, twice at most. */
  otherMaxPct: 20,
  /** A measurement ends early after this many failed cycles. */
  maxErrors: 1000,
  /** What runs: 'cycles' (offer/answer/delete through media-control vs direct) and 'invite' (SIPp calls through the edge, without and with media). */
  parts: ['cycles', 'invite'],
  /** The invite part: calls/s (each without and with media), seconds each, the caller's hold. */
  inviteRates: INVITE_DEFAULTS.rates,
  inviteSeconds: INVITE_DEFAULTS.seconds,
  inviteHoldMs: INVITE_DEFAULTS.holdMs,
};
export const MEDIA_PARTS = ['cycles', 'invite'];

const round1 = (v) => Math.round(v * 10) / 10;
const round2 = (v) => Math.round(v * 100) / 100;

/** Why the scenario (its `parts`) cannot run here, or null. */
export function mediaProblem(parts = MEDIA_DEFAULTS.parts) {
  const inPath = (cmd) => (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(path.join(dir, cmd)));
  if (!inPath(RTPENGINE_BIN)) return 'rtpengine not found in PATH (Debian: apt-get install rtpengine-daemon; the userspace daemon is enough)';
  if (!inPath('nats-server')) return 'nats-server not found in PATH';
  if (!inPath('timeout')) return 'timeout (GNU coreutils) not found in PATH';
  if (!existsSync(MEDIA_CONTROL_MAIN) || !existsSync(MEDIA_INDEX)) return 'services/media-control/dist missing: run "npm run build" first';
  if (parts.includes('invite')) return inviteProblem(inPath);
  return null;
}

/** The measurements in order: [calls in flight, seconds, warm-up s], the main one first. */
function plan(o) {
  const sweep = [...new Set(o.sweep)].filter((c) => c !== o.concurrency).sort((a, b) => a - b);
  const half = Math.max(2, Math.round(o.seconds / 2));
  return [[o.concurrency, o.seconds, o.warmupS], ...sweep.map((c) => [c, half, o.sweepWarmupS])];
}

/**
 * The whole scenario: its parts (`parts`, default both) one after the other. Options:
 * MEDIA_DEFAULTS, `logDir` (the processes' logs stay there, the invite part's in invite/ with its
 * SIPp folders; default a temp dir removed at the end), `mediaSet` (more --set overrides of
 * media-control), `edgeSet` (the edge's, invite part), `keepTraces` (SIPp's per-message logs of the
 * invite part), `onRun(r)` after each measurement (an invite measurement has `variant`),
 * `onDisturbed(r)` before one is made again.
 */
export async function runMediaBench(options = {}) {
  const o = { ...MEDIA_DEFAULTS, ...options };
  const parts = MEDIA_PARTS.filter((p) => o.parts.includes(p));
  if (parts.length === 0) throw new Error(`media parts: ${MEDIA_PARTS.join(', ')}`);
  const problem = mediaProblem(parts);
  if (problem !== null) throw new Error(problem);
  const dir = o.logDir ?? mkdtempSync(path.join(tmpdir(), 'sipmesh-media-bench-'));
  const removeDir = () => {
    if (!o.logDir) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeDir);
  try {
    const started = performance.now();
    const out = parts.includes('cycles')
      ? await runMediaCycles({ ...o, logDir: dir })
      : { ok: true, problems: [], flags: { offer: OFFER_FLAGS, answer: ANSWER_FLAGS }, runs: [], comparisons: [] };
    if (parts.includes('invite')) {
      out.invite = await runInviteLatency({
        dir: path.join(dir, 'invite'),
        rates: o.inviteRates,
        seconds: o.inviteSeconds,
        holdMs: o.inviteHoldMs,
        otherMaxPct: o.otherMaxPct,
        rtpengineLogLevel: o.rtpengineLogLevel,
        mediaSet: o.mediaSet ?? [],
        edgeSet: o.edgeSet ?? [],
        keepTraces: Boolean(o.keepTraces),
        onRun: o.onRun,
        onDisturbed: o.onDisturbed,
      });
      out.ok = out.ok && out.invite.ok;
      out.problems = [...out.problems, ...out.invite.problems.map((p) => `invite: ${p}`)];
    }
    out.parts = parts;
    out.seconds = Math.round((performance.now() - started) / 1000);
    out.log_dir = o.logDir ?? null;
    return out;
  } finally {
    removeDir();
    process.removeListener('exit', removeDir);
  }
}

/** The cycles part (offer -> answer -> delete through media-control and direct), its processes in `o.logDir`. */
async function runMediaCycles(o) {
  mkdirSync(o.logDir, { recursive: true });
  const steps = plan(o);
  const maxCalls = Math.max(...steps.map(([c]) => c));
  // a generous bound on every process's life: the measurements with three attempts each, plus start-up
  const lifetimeS = 300 + 3 * steps.reduce((s, [, secs, warm]) => s + 2 * (secs + warm + 5), 0);
  const dir = o.logDir;
  const mc = await import(pathToFileURL(MEDIA_INDEX).href);
  // the direct client: media-control's defaults (2 s timeout, retransmission every 250 ms, 64 in flight)
  const ng = new mc.NgClient();
  const offerArgs = mc.mergeFlags(mc.flagsToNg(OFFER_FLAGS), { supports: ['load limit'] });
  const answerArgs = mc.flagsToNg(ANSWER_FLAGS);
  let stack;
  try {
    stack = await startMediaStack({ dir, ng, calls: maxCalls, logLevel: o.rtpengineLogLevel, mediaSet: o.mediaSet, lifetimeS, name: 'media-bench' });
    const { nats, rtpe, media, nc } = stack;
    const request = async (subject, body, timeout) => (await nc.request(subject, body, { timeout })).string();
    const subjects = { offer: 'sipmesh.media.v1.offer', answer: 'sipmesh.media.v1.answer', delete: 'sipmesh.media.v1.delete' };

    const pids = { media_control: media.pid, rtpengine: rtpe.pid, nats_server: nats.pid };
    let n = 0;
    let measurements = 0;
    const measure = async (which, concurrency, seconds, warmupS) => {
      // the Call-IDs of a measurement start with mb-<tag>-: what rtpengine keeps of it is told apart
      const tag = `${which === 'media-control' ? 'mc' : 'd'}${++measurements}`;
      const cycle =
        which === 'media-control'
          ? mediaControlCycle({ request, subjects, rtpe, timeoutMs: o.requestTimeoutMs, tag })
          : directCycle({ ng, rtpe, offerArgs, answerArgs, tag });
      const affinity0 = which === 'media-control' ? await affinityCount(media.adminPort).catch(() => null) : null;
      const m0 = await readMediaMetrics(media.adminPort);
      const ng0 = ng.stats();
      const drops0 = { rtpengine: udpDrops({ port: rtpe.ngPort }), media_control: udpDrops({ pid: media.pid }), bench: udpDrops({ pid: process.pid }) };
      const snaps = {};
      const snap = () => ({ ...Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processTicks(pid)])), self: process.cpuUsage(), machine: machineCpuNs(), at: performance.now() });
      const run = await runCycles({ cycle, concurrency, warmupS, seconds, maxErrors: o.maxErrors, startN: n, onWindow: (w) => (snaps[w] = snap()) });
      n = run.next_n;
      const hz = clockTicksPerSecond();
      const s = (snaps.end.at - snaps.start.at) / 1000;
      const ticks = Object.fromEntries(Object.keys(pids).map((k) => [k, snaps.end[k] - snaps.start[k]]));
      const selfUs = process.cpuUsage(snaps.start.self);
      const cpuS = { ...Object.fromEntries(Object.entries(ticks).map(([k, t]) => [k, t / hz])), bench: (selfUs.user + selfUs.system) / 1e6 };
      const machineS = (snaps.end.machine - snaps.start.machine) / 1e9;
      const m1 = await readMediaMetrics(media.adminPort);
      const ng1 = ng.stats();
      const drops1 = { rtpengine: udpDrops({ port: rtpe.ngPort }), media_control: udpDrops({ pid: media.pid }), bench: udpDrops({ pid: process.pid }) };
      const left = (await ng.list(rtpe.ng, { limit: 100_000 }).catch((e) => [`list failed: ${e.message}`])).filter((id) => !id.startsWith('mb-') || id.startsWith(`mb-${tag}-`));
      const affinity1 = which === 'media-control' ? await affinityCount(media.adminPort).catch(() => null) : null;
      const l = run.latencies;
      const metrics = metricsDelta(m0, m1);
      // no CPU figures from a window too short to mean anything (a run ended by errors in its warm-up)
      const cpuOk = s >= 0.5;
      const pct = (secs) => (cpuOk ? round1((100 * secs) / s) : null);
      const oursS = Object.values(cpuS).reduce((a, b) => a + b, 0);
      return {
        path: which,
        concurrency,
        seconds,
        warmup_s: warmupS,
        window_s: round2(run.window_s),
        cycles: run.cycles_ok,
        commands: run.commands,
        cycles_per_s: Math.round(run.cycles_ok / s),
        commands_per_s: Math.round(run.commands / s),
        latency_ms: { offer: quantiles(l.offer), answer: quantiles(l.answer), delete: quantiles(l.delete), all: quantiles([...l.offer, ...l.answer, ...l.delete]), cycle: quantiles(run.cycle_ms) },
        errors: run.errors,
        aborted: run.aborted,
        // over the whole run (warm-up included)
        retransmissions:
          which === 'direct'
            ? { exact: true, retransmits: ng1.retransmits - ng0.retransmits, timeouts: ng1.timeouts - ng0.timeouts, late_or_duplicate_replies: ng1.unmatchedReplies - ng0.unmatchedReplies }
            : { exact: false, ng_over_250ms: metrics.ng.over_250ms, ng_failed: metrics.ng.failed },
        udp_drops: { rtpengine_ng: drops1.rtpengine - drops0.rtpengine, media_control: drops1.media_control - drops0.media_control, bench: drops1.bench - drops0.bench },
        media_control_metrics: metrics,
        // media-control's own ng round trip (mean), to split its path's time
        ng_mean_ms_in_media_control: metrics.ng.count > 0 ? round2((metrics.ng.sum_s * 1000) / metrics.ng.count) : null,
        cpu_us_per_command: Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, cpuOk && run.commands > 0 ? round1((v * 1e6) / run.commands) : null])),
        cpu_pct: { ...Object.fromEntries(Object.entries(cpuS).map(([k, v]) => [k, pct(v)])), machine: pct(machineS), other: cpuOk ? round1(pct(machineS) - pct(oursS)) : null },
        call_id_prefix: `mb-${tag}-`,
        // calls of this measurement rtpengine still holds (and any call not of the bench)
        left_in_rtpengine: left.length,
        left_in_rtpengine_sample: left.slice(0, 5),
        // calls media-control's affinity store gained over the measurement
        left_in_affinity: affinity0 !== null && affinity1 !== null ? affinity1 - affinity0 : null,
      };
    };

    const runs = [];
    for (const [concurrency, seconds, warmupS] of steps) {
      for (const which of ['media-control', 'direct']) {
        // made again (twice at most) while other load disturbs it; the least disturbed attempt is kept
        const attempts = [];
        for (let attempt = 1; attempt <= 3; attempt++) {
          const r = await measure(which, concurrency, seconds, warmupS);
          r.attempt = attempt;
          r.disturbed = (r.cpu_pct.other ?? 0) > o.otherMaxPct;
          attempts.push(r);
          o.onRun?.(r);
          if (!r.disturbed) break;
          if (attempt < 3) o.onDisturbed?.(r);
        }
        const kept = attempts.reduce((a, b) => ((b.cpu_pct.other ?? 0) < (a.cpu_pct.other ?? 0) ? b : a));
        if (attempts.length > 1) kept.other_pct_of_attempts = attempts.map((r) => r.cpu_pct.other);
        runs.push(kept);
      }
    }
    const comparisons = steps.map(([c]) => compare(runs.find((r) => r.path === 'media-control' && r.concurrency === c), runs.find((r) => r.path === 'direct' && r.concurrency === c)));
    const finalList = await ng.list(rtpe.ng, { limit: 100_000 }).catch((e) => [`list failed: ${e.message}`]);
    const finalAffinity = await affinityCount(media.adminPort).catch(() => null);
    const problems = [];
    for (const r of runs) {
      if (r.errors.count > 0) problems.push(`${r.path} ${r.concurrency} in flight: ${r.errors.count} failed cycles (${r.errors.kinds.map((k) => `${k.count} x ${k.message}`).join('; ')})`);
      if (r.left_in_rtpengine > 0) problems.push(`${r.path} ${r.concurrency} in flight: ${r.left_in_rtpengine} calls left in rtpengine`);
      if (r.left_in_affinity) problems.push(`${r.path} ${r.concurrency} in flight: ${r.left_in_affinity} calls left in media-control's affinity store`);
    }
    if (finalList.length > 0) problems.push(`rtpengine holds ${finalList.length} calls at the end (${finalList.slice(0, 3).join(', ')})`);
    if (finalAffinity !== 0) problems.push(`media-control's affinity store holds ${finalAffinity} calls at the end`);
    return {
      ok: problems.length === 0,
      problems,
      rtpengine: { version: rtpengineVersion(), ng: `127.0.0.1:${rtpe.ngPort}`, rtp_ports: [rtpe.portMin, rtpe.portMax], log_level: o.rtpengineLogLevel, args: rtpe.args },
      media_control: { args: media.args.slice(1), nats: nats.url },
      flags: { offer: OFFER_FLAGS, answer: ANSWER_FLAGS },
      options: { concurrency: o.concurrency, seconds: o.seconds, warmup_s: o.warmupS, sweep: o.sweep, request_timeout_ms: o.requestTimeoutMs, other_max_pct: o.otherMaxPct },
      runs,
      comparisons,
      final_check: { calls_in_rtpengine: finalList.length, calls_in_affinity: finalAffinity },
    };
  } finally {
    await stack?.stop();
    await ng.close();
  }
}

/** What media-control + NATS add to the same cycles straight to rtpengine. */
function compare(a, b) {
  if (!a || !b) return null;
  const added = (k, q) => (a.latency_ms[k][q] !== null && b.latency_ms[k][q] !== null ? round2(a.latency_ms[k][q] - b.latency_ms[k][q]) : null);
  const total = (r) => (Object.values(r.cpu_us_per_command).some((v) => v === null) ? null : round1(Object.values(r.cpu_us_per_command).reduce((s, v) => s + v, 0)));
  return {
    concurrency: a.concurrency,
    cycles_per_s: { media_control: a.cycles_per_s, direct: b.cycles_per_s },
    throughput_ratio: b.cycles_per_s > 0 ? round2(a.cycles_per_s / b.cycles_per_s) : null,
    added_ms: Object.fromEntries(['offer', 'answer', 'delete', 'all'].map((k) => [k, { p50: added(k, 'p50'), p99: added(k, 'p99') }])),
    latency_ratio_p50: a.latency_ms.all.p50 !== null && b.latency_ms.all.p50 > 0 ? round1(a.latency_ms.all.p50 / b.latency_ms.all.p50) : null,
    // every process's CPU per command, the asking one (this process) included
    cpu_us_per_command_total: { media_control: total(a), direct: total(b) },
    disturbed: Boolean(a.disturbed || b.disturbed),
  };
}

// Alone: node test/bench/media-bench.mjs [--part cycles|invite|all] [--concurrency N] [--seconds S] [--sweep "1 10 200"|none]
//   [--rates "100 200"] [--invite-seconds S] [--hold-ms MS] [--set path=value ...] [--edge-set path=value ...] [--log-dir DIR]
//   [--keep-traces]; prints a line per measurement, the tables, then the results as one JSON line; exit 1 on any error or leak.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const value = (flag) => {
    const k = args.indexOf(flag);
    return k >= 0 ? args[k + 1] : undefined;
  };
  const list = (v) => String(v).split(/[\s,]+/).filter(Boolean).map(Number);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stopAllStarted().then(() => process.exit(130)));
  const options = {
    onRun: (r) => console.log(r.variant ? formatInviteRun(r) : formatMediaRun(r)),
    onDisturbed: (r) => console.log(`   (disturbed: other processes used ${r.cpu_pct.other} % of a core; measuring again)`),
  };
  if (value('--part') && value('--part') !== 'all') options.parts = [String(value('--part'))];
  if (value('--concurrency')) options.concurrency = Number(value('--concurrency'));
  if (value('--seconds')) options.seconds = Number(value('--seconds'));
  if (value('--sweep')) options.sweep = value('--sweep') === 'none' ? [] : list(value('--sweep'));
  if (value('--rates')) options.inviteRates = list(value('--rates'));
  if (value('--invite-seconds')) options.inviteSeconds = Number(value('--invite-seconds'));
  if (value('--hold-ms')) options.inviteHoldMs = Number(value('--hold-ms'));
  if (value('--log-dir')) options.logDir = path.resolve(String(value('--log-dir')));
  options.keepTraces = args.includes('--keep-traces');
  options.mediaSet = args.flatMap((a, k) => (a === '--set' && args[k + 1] ? [args[k + 1]] : []));
  options.edgeSet = args.flatMap((a, k) => (a === '--edge-set' && args[k + 1] ? [args[k + 1]] : []));
  const r = await runMediaBench(options);
  console.log(formatMediaBench(r));
  console.log(JSON.stringify(r));
  process.exit(r.ok ? 0 : 1);
}
