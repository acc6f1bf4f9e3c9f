#!/usr/bin/env node
/**
 * `npm run bench`: SIPp call (INVITE/100/180/200/ACK/BYE/200, record-routed) and MESSAGE load
 * through sipmesh's edge + router over NATS (test/bench/sut.sh) at increasing rates; prints per
 * scenario the highest clean rate, response times and CPU per call of the sipmesh processes
 * (nats-server + router + edge), and writes everything as JSON to .bench/. The `register`
 * scenario does the same for REGISTER with digest through edge + registrar + Redis
 * (test/bench/sut-registrar.sh, registrar-bench.mjs), then registrar lookups/s and Redis memory.
 * The `accounting` scenario (accounting-bench.mjs, opt-in) measures the accounting service: events
 * ingested per second into PostgreSQL, and the delay from a call's BYE to its CDR row.
 * The `media` scenario (media-bench.mjs, opt-in) measures offer/answer/delete cycles through
 * media-control over NATS and straight to the same rtpengine over ng, then what media anchoring
 * adds to an INVITE: SIPp calls through edge + router without and with a rule's `media`.
 * With --compare, Kamailio K3 (evapi external router) runs the same rates in the same session,
 * interleaved, through the anchor harness (KAMAILIO_BENCH or /work/shared/bench).
 * `node test/bench/bench.mjs --help` lists the options.
 */
import { ACCOUNTING_DEFAULTS, formatAccountingBench, formatIngestRun, postgresProblem, runAccountingIngest, runByeToCdr } from './accounting-bench.mjs';
import { formatInviteRun, formatMediaBench, formatMediaRun, MEDIA_DEFAULTS, MEDIA_PARTS, mediaProblem, runMediaBench } from './media-bench.mjs';
import { formatRouterBench, runRouterBench } from './router-bench.mjs';
import {
  formatKamailioComparison,
  formatRegistrarLookupAndMemory,
  prepareRegisterFiles,
  REGISTER_DEFAULTS,
  registrationsFor,
  runRegister,
  runRegistrarLookupAndMemory,
  warmupRegistrationsFor,
} from './registrar-bench.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stopAllStarted } from './lib/child-process-control.mjs';
import { formatProfileSummary, summarizeCpuProfile } from './lib/cpu-profile.mjs';
import { findKamailioBench, runKamailio } from './lib/kamailio-run.mjs';
import { busyUdpPorts, processesMatching } from './lib/process-cpu.mjs';
import { findMaxCleanRate, reusingRun } from './lib/rate-search.mjs';
import { runLine, scenarioTable } from './lib/report-table.mjs';
import { callsFor, runSipmesh, SIP_PORT, UAC_PORT, UAS_PORT } from './lib/sipmesh-run.mjs';
import { probeMachine } from './lib/machine-probe.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

const DEFAULTS = {
  scenarios: ['call', 'message', 'router', 'register'],
  rates: {
    call: [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000],
    message: [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000, 14000, 16000, 18000],
    register: REGISTER_DEFAULTS.rates,
  },
  gran: { call: 250, message: 500, register: REGISTER_DEFAULTS.gran },
  durationS: 8,
  confirmRuns: 2,
  otherMaxPct: 10,
};
/** Scenarios with their own runner (no SIPp rate search). */
const SEPARATE = new Set(['router', 'accounting', 'media']);

const USAGE = `usage: npm run bench -- [options]        (or: node test/bench/bench.mjs [options])

  --scenarios call,message,router,register[,accounting][,media]   which scenarios (default the first four; router: the router alone
                             with 100,000 lcr rules and 100,000 mtree prefixes, decisions/s, latency, reload;
                             register (~2.5 min at today's rates): REGISTER + 401 + REGISTER with digest through edge +
                             registrar (Redis location) over NATS (sut-registrar.sh), a new AoR per registration;
                             then registrar lookups/s over NATS and Redis memory per 100,000 bindings;
                             accounting (opt-in, ~3 min, needs PostgreSQL): events ingested per second into
                             PostgreSQL by the accounting service, then the BYE -> CDR row delay of SIPp calls
                             through edge + router + accounting;
                             media (opt-in, ~2.5 min, needs rtpengine): offer -> answer -> delete cycles through
                             media-control over its own nats-server, and the same cycles straight to the same
                             rtpengine over ng (the overhead of media-control + NATS); then SIPp calls through
                             edge + router without and with a rule's media (media-control + rtpengine on the
                             call's path): what anchoring adds to the INVITE -> 200 time, p50/p99)
  --duration S               seconds of traffic per run (default ${DEFAULTS.durationS}; calls = rate x S)
  --rates-call "R1 R2 ..."   coarse rate ladder for calls (default ${DEFAULTS.rates.call.join(' ')})
  --rates-message "R1 ..."   coarse rate ladder for MESSAGE (default ${DEFAULTS.rates.message.join(' ')})
  --rates-register "R1 ..."  coarse rate ladder for REGISTER (default ${DEFAULTS.rates.register.join(' ')})
  --gran-call N, --gran-message N, --gran-register N   bisection step (default ${DEFAULTS.gran.call} / ${DEFAULTS.gran.message} / ${DEFAULTS.gran.register})
  --confirm N                clean runs needed at the answer (default ${DEFAULTS.confirmRuns}; the harness uses 3)
  --rate R                   no search: run every scenario at R/s (--runs times)
  --runs N                   runs per rate with --rate (default 1)
  --compare                  also run Kamailio through the anchor harness, interleaved, same rates (K3, or
                             --kamailio-config; register: K2, the harness's registrar)
  --kamailio-bench DIR       the harness (default: KAMAILIO_BENCH or /work/shared/bench)
  --kamailio-config k3       harness config to compare with (k1 or k3, default k3)
  --edge-set path=value      extra edge override (repeatable), e.g. events.enabled=false
  --router-set path=value    extra router override (repeatable), e.g. validateRequests=false
  --registrar-set path=value extra registrar override (repeatable, register scenario), e.g. auth.qop=none
  --no-lookups               register scenario: skip the lookup/memory part
  --acc-events N             accounting: events in the stream before the service starts (default ${ACCOUNTING_DEFAULTS.events})
  --acc-batch-sizes "B ..."  accounting: consumer.batchSize of each ingest measurement (default ${ACCOUNTING_DEFAULTS.batchSizes.join(' ')})
  --acc-rate R, --acc-seconds S, --acc-hold-ms MS   accounting: the calls of the BYE -> CDR part
                             (default ${ACCOUNTING_DEFAULTS.callRate}/s for ${ACCOUNTING_DEFAULTS.callSeconds} s, hold ${ACCOUNTING_DEFAULTS.holdMs} ms; --warmup applies too)
  --acc-set path=value       accounting: extra override of the accounting service (repeatable), e.g. consumer.fetchWaitMs=5000
  --acc-pg URL               accounting: PostgreSQL server (default ${ACCOUNTING_DEFAULTS.pgUrl}); its database
                             ${ACCOUNTING_DEFAULTS.database} is dropped and created for every measurement
  --media-concurrency N      media: calls in flight of the main measurement (default ${MEDIA_DEFAULTS.concurrency})
  --media-seconds S          media: seconds of the main measurement (default ${MEDIA_DEFAULTS.seconds}, after ${MEDIA_DEFAULTS.warmupS} s warm-up);
                             the sweep's measurements take half as long
  --media-sweep "N ..."      media: other numbers of calls in flight, each measured too (default ${MEDIA_DEFAULTS.sweep.join(' ')}; none: no sweep)
  --media-set path=value     media: extra override of media-control (repeatable), e.g. rtpengine.maxInFlightPerInstance=128
  --media-part P             media: cycles (no SIPp), invite (SIPp calls through the edge), or all (default)
  --media-rates "R ..."      media, invite part: calls/s, each measured without and with media (default ${MEDIA_DEFAULTS.inviteRates.join(' ')})
  --media-invite-seconds S   media, invite part: seconds of calls per measurement (default ${MEDIA_DEFAULTS.inviteSeconds}, after one
                             warm-up of 4 s at 100/s per variant); --media-hold-ms MS: the call's hold (default ${MEDIA_DEFAULTS.inviteHoldMs})
  --rcvbuf BYTES             edge UDP SO_RCVBUF request (default 4194304, the edge's own default; with
                             --compare Kamailio gets the same, -b, unless KAM_MAXBUF is set)
  --profile DIR              node --cpu-prof for edge and router; prints their hot spots over the UAC window
                             (accounting scenario: the accounting service's, over each ingest and over the calls)
  --warmup S                 S seconds of traffic at 25 % of the rate before each measured run (default 3:
                             a running edge is warm; 0 measures a cold start)
                             (not in the harness; shows steady-state capacity of the JIT-warm edge)
  --label TEXT               free text stored with the results
  --keep-traces              keep SIPp rtt/screen files of every run
  --out DIR                  results folder (default .bench/ in the repository)
  --other-max PCT            a dirty run with more than PCT % of a core of other load is re-run (default ${DEFAULTS.otherMaxPct};
                             accounting: every measurement with more than ${ACCOUNTING_DEFAULTS.otherMaxPct} %, its own threshold;
                             media: every measurement with more than ${MEDIA_DEFAULTS.otherMaxPct} %)`;

function parseArgs(argv) {
  const o = {
    scenarios: DEFAULTS.scenarios,
    durationS: DEFAULTS.durationS,
    rates: { ...DEFAULTS.rates },
    gran: { ...DEFAULTS.gran },
    confirmRuns: DEFAULTS.confirmRuns,
    fixedRate: null,
    runsPerRate: 1,
    compare: false,
    kamailioBench: undefined,
    kamailioConfig: 'k3',
    edgeSet: [],
    routerSet: [],
    registrarSet: [],
    lookups: true,
    acc: {},
    media: {},
    rcvbuf: 4194304,
    profileDir: null,
    label: '',
    warmupS: 3,
    keepTraces: false,
    out: path.join(REPO, '.bench'),
    otherMaxPct: DEFAULTS.otherMaxPct,
    help: false,
  };
  const list = (v) => v.split(/[\s,]+/).filter(Boolean).map(Number);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        o.help = true;
        break;
      case '--scenarios':
        o.scenarios = value().split(',').map((s) => s.trim());
        break;
      case '--duration':
        o.durationS = Number(value());
        break;
      case '--rates-call':
        o.rates.call = list(value());
        break;
      case '--rates-message':
        o.rates.message = list(value());
        break;
      case '--rates-register':
        o.rates.register = list(value());
        break;
      case '--gran-register':
        o.gran.register = Number(value());
        break;
      case '--registrar-set':
        o.registrarSet.push(value());
        break;
      case '--no-lookups':
        o.lookups = false;
        break;
      case '--acc-events':
        o.acc.events = Number(value());
        break;
      case '--acc-batch-sizes':
        o.acc.batchSizes = list(value());
        break;
      case '--acc-rate':
        o.acc.callRate = Number(value());
        break;
      case '--acc-seconds':
        o.acc.callSeconds = Number(value());
        break;
      case '--acc-hold-ms':
        o.acc.holdMs = Number(value());
        break;
      case '--acc-set':
        (o.acc.accountingSet ??= []).push(value());
        break;
      case '--acc-pg':
        o.acc.pgUrl = value().replace(/\/+$/, '');
        break;
      case '--media-concurrency':
        o.media.concurrency = Number(value());
        break;
      case '--media-seconds':
        o.media.seconds = Number(value());
        break;
      case '--media-sweep': {
        const v = value();
        o.media.sweep = v === 'none' ? [] : list(v);
        break;
      }
      case '--media-set':
        (o.media.mediaSet ??= []).push(value());
        break;
      case '--media-part': {
        const v = value();
        o.media.parts = v === 'all' ? [...MEDIA_PARTS] : [v];
        break;
      }
      case '--media-rates':
        o.media.inviteRates = list(value());
        break;
      case '--media-invite-seconds':
        o.media.inviteSeconds = Number(value());
        break;
      case '--media-hold-ms':
        o.media.inviteHoldMs = Number(value());
        break;
      case '--gran-call':
        o.gran.call = Number(value());
        break;
      case '--gran-message':
        o.gran.message = Number(value());
        break;
      case '--confirm':
        o.confirmRuns = Number(value());
        break;
      case '--rate':
        o.fixedRate = Number(value());
        break;
      case '--runs':
        o.runsPerRate = Number(value());
        break;
      case '--compare':
        o.compare = true;
        break;
      case '--kamailio-bench':
        o.kamailioBench = value();
        break;
      case '--kamailio-config':
        o.kamailioConfig = value();
        break;
      case '--edge-set':
        o.edgeSet.push(value());
        break;
      case '--router-set':
        o.routerSet.push(value());
        break;
      case '--rcvbuf':
        o.rcvbuf = Number(value());
        break;
      case '--profile':
        o.profileDir = path.resolve(value());
        break;
      case '--warmup':
        o.warmupS = Number(value());
        break;
      case '--label':
        o.label = value();
        break;
      case '--keep-traces':
        o.keepTraces = true;
        break;
      case '--out':
        o.out = path.resolve(value());
        break;
      case '--other-max':
        o.otherMaxPct = Number(value());
        break;
      default:
        throw new Error(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  for (const s of o.scenarios) if (!(s in DEFAULTS.rates) && !SEPARATE.has(s)) throw new Error(`unknown scenario "${s}" (call, message, router, register, accounting, media)`);
  for (const c of [o.media.concurrency, ...(o.media.sweep ?? [])]) if (c !== undefined && !(Number.isInteger(c) && c >= 1 && c <= 2000)) throw new Error('--media-concurrency and --media-sweep: integers from 1 to 2000');
  if (o.media.seconds !== undefined && !(o.media.seconds >= 1)) throw new Error('--media-seconds must be at least 1');
  if (o.media.parts !== undefined && !o.media.parts.every((p) => MEDIA_PARTS.includes(p))) throw new Error(`--media-part: ${MEDIA_PARTS.join(', ')} or all`);
  if (o.media.inviteRates !== undefined && !(o.media.inviteRates.length > 0 && o.media.inviteRates.every((r) => Number.isInteger(r) && r >= 1 && r <= 1000))) throw new Error('--media-rates: integers from 1 to 1000');
  if (o.media.inviteSeconds !== undefined && !(o.media.inviteSeconds >= 1)) throw new Error('--media-invite-seconds must be at least 1');
  if (o.media.inviteHoldMs !== undefined && !(o.media.inviteHoldMs >= 0)) throw new Error('--media-hold-ms must be >= 0');
  if (o.acc.events !== undefined && !(o.acc.events >= 5)) throw new Error('--acc-events must be at least 5 (one call)');
  if (o.acc.batchSizes !== undefined && !(o.acc.batchSizes.length > 0 && o.acc.batchSizes.every((b) => Number.isInteger(b) && b >= 1 && b <= 10000))) throw new Error('--acc-batch-sizes: integers from 1 to 10000');
  for (const k of ['callRate', 'callSeconds']) if (o.acc[k] !== undefined && !(o.acc[k] > 0)) throw new Error('--acc-rate and --acc-seconds must be > 0');
  if (o.acc.holdMs !== undefined && !(o.acc.holdMs >= 0)) throw new Error('--acc-hold-ms must be >= 0');
  if (!(o.durationS > 0)) throw new Error('--duration must be > 0');
  if (o.fixedRate !== null && !(o.fixedRate > 0)) throw new Error('--rate must be > 0');
  if (!['k1', 'k3'].includes(o.kamailioConfig)) throw new Error('--kamailio-config is k1 or k3');
  return o;
}

function inPath(cmd) {
  return (process.env['PATH'] ?? '').split(':').some((dir) => dir !== '' && existsSync(path.join(dir, cmd)));
}

/** First non-empty output line of `cmd args` (SIPp prints its version and exits 1). */
function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? null;
}

function gitState() {
  try {
    const commit = execFileSync('git', ['-C', REPO, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

/** Newest build output of the services the SUT runs (the code measured may be newer than the commit). */
function buildInfo() {
  const out = {};
  for (const f of ['services/edge/dist', 'services/router/dist', 'services/registrar/dist', 'services/media-control/dist', 'packages/runtime/dist', 'contracts/dist']) {
    const dir = path.join(REPO, f);
    if (!existsSync(dir)) continue;
    let newest = 0;
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
      }
    };
    walk(dir);
    out[f] = new Date(newest).toISOString();
  }
  return out;
}

function median(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length > 0 ? v[Math.floor((v.length - 1) / 2)] : null;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  // media's cycles part alone needs no SIPp, no edge or router and no SIP ports (its own preflight below)
  const mediaParts = o.media.parts ?? MEDIA_DEFAULTS.parts;
  const sip = o.scenarios.some((s) => s !== 'media') || mediaParts.includes('invite');
  for (const cmd of [...(sip ? ['sipp'] : []), 'nats-server', ...(o.scenarios.includes('register') ? ['redis-server', 'redis-cli'] : [])]) {
    if (!inPath(cmd)) throw new Error(`${cmd} not found in PATH (SIPp: apt-get install sip-tester; nats-server: apt-get install nats-server)`);
  }
  for (const f of [
    ...(sip ? ['services/edge/dist/main.js', 'services/router/dist/main.js'] : []),
    ...(o.scenarios.includes('register') ? ['services/registrar/dist/main.js'] : []),
    ...(o.scenarios.includes('accounting') ? ['services/accounting/dist/main.js'] : []),
  ]) {
    if (!existsSync(path.join(REPO, f))) throw new Error(`${f} missing: run "npm run build" first`);
  }
  if (o.scenarios.includes('accounting')) {
    const problem = await postgresProblem(o.acc.pgUrl ?? ACCOUNTING_DEFAULTS.pgUrl);
    if (problem !== null) throw new Error(`accounting: ${problem}`);
  }
  if (o.scenarios.includes('media')) {
    const problem = mediaProblem(mediaParts);
    if (problem !== null) throw new Error(`media: ${problem}`);
  }
  const kamBench = o.compare ? findKamailioBench(o.kamailioBench) : null;
  if (o.compare && kamBench === null) throw new Error('--compare: no Kamailio harness (set KAMAILIO_BENCH or --kamailio-bench to the folder with run_one.sh)');
  const busy = sip ? busyUdpPorts([SIP_PORT, UAS_PORT, UAC_PORT]) : [];
  if (busy.length > 0) throw new Error(`UDP port(s) ${busy.join(', ')} already in use`);

  const session = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  const sessionDir = path.join(o.out, 'runs', session);
  mkdirSync(sessionDir, { recursive: true });
  const sutEnv = {};
  if (o.edgeSet.length > 0) sutEnv.SIPMESH_EDGE_SET = o.edgeSet.join(' ');
  if (o.routerSet.length > 0) sutEnv.SIPMESH_ROUTER_SET = o.routerSet.join(' ');
  if (o.registrarSet.length > 0) sutEnv.SIPMESH_REGISTRAR_SET = o.registrarSet.join(' ');
  if (o.rcvbuf !== null) sutEnv.SIPMESH_UDP_RCVBUF = String(o.rcvbuf);
  // Same socket buffer for both sides of a comparison (the harness's `-b`, as in its bigbuf rows).
  if (o.compare && o.rcvbuf !== null && process.env.KAM_MAXBUF === undefined) process.env.KAM_MAXBUF = String(o.rcvbuf);
  if (o.profileDir) {
    mkdirSync(o.profileDir, { recursive: true });
    sutEnv.SIPMESH_NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${o.profileDir}`;
  }

  const report = {
    session,
    label: o.label,
    started: new Date().toISOString(),
    finished: null,
    machine: {
      cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? '',
      kernel: release(),
      node: process.version,
      sipp: versionOf('sipp', ['-v']),
      nats_server: versionOf('nats-server', ['--version']),
    },
    git: gitState(),
    build: buildInfo(),
    options: { ...o, out: undefined, sut_env: sutEnv },
    rule: 'clean = UAC exit 0, all calls successful, 0 failed (UAC and UAS), steady-state rate >= 97 % of offered, retransmissions <= 0.01 % of calls',
    cpu_note: 'us/call = CPU (utime+stime, /proc/<pid>/stat) of the SUT processes over the UAC run / successful calls. sipmesh = nats-server + router + edge (+ sut.sh); Kamailio = all kamailio processes + evapi router',
    disturbances: [],
    scenarios: {},
  };
  const writeReport = () => {
    writeFileSync(path.join(o.out, `bench-${session}.json`), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(path.join(o.out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  };
  const noteDisturbance = (when) => {
    const others = processesMatching('vitest').map((p) => p.cmd.slice(0, 120));
    if (others.length > 0) {
      console.log(`   note: vitest is running (${others.length} processes) ${when}; results may be disturbed`);
      report.disturbances.push({ when, time: new Date().toISOString(), vitest: others });
    }
  };
  noteDisturbance('at start');
  // REGISTER compares with the harness's registrar (K2), calls and MESSAGE with --kamailio-config
  function kamailioConfigFor(scenario) {
    return scenario === 'register' ? 'k2' : o.kamailioConfig;
  }
  console.log(`sipmesh bench ${session}: scenarios ${o.scenarios.join(', ')}${o.scenarios.some((x) => !SEPARATE.has(x)) ? `, ${o.durationS} s per run${o.warmupS > 0 ? ` after ${o.warmupS} s warm-up at 25 %` : ''}` : ''}${o.compare ? `, compared with Kamailio ${[...new Set(o.scenarios.filter((x) => !SEPARATE.has(x)).map(kamailioConfigFor))].join(' and ')} (${kamBench})` : ''}`);
  console.log(`results: ${path.join(o.out, `bench-${session}.json`)}; run folders: ${sessionDir}`);

  let seq = 0;
  // one measured run; a dirty run with too much load from elsewhere is run again (twice at most)
  const measured = async (system, scenario, rate) => {
    let reruns = 0;
    for (;;) {
      const id = `${String(++seq).padStart(3, '0')}-${system}-${scenario}-${rate}`;
      const runDir = path.join(sessionDir, id);
      let r;
      const newProfiles = o.profileDir && system === 'sipmesh' ? new Set(readdirSync(o.profileDir)) : null;
      // the machine's speed now, on an idle machine, before the run (lib/machine-probe.mjs)
      const probeUs = await probeMachine().catch((error) => {
        console.log(`   (machine probe: ${error.message})`);
        return null;
      });
      try {
        r =
          system === 'sipmesh' && scenario === 'register'
            ? await runRegister({ repo: REPO, rate, durationS: o.durationS, runDir, sutEnv, keepTraces: o.keepTraces, warmupS: o.warmupS, files: /** @type {any} */ (registerFiles) })
            : system === 'sipmesh'
            ? await runSipmesh({ repo: REPO, scenario, rate, durationS: o.durationS, runDir, sutEnv, keepTraces: o.keepTraces, warmupS: o.warmupS })
            : await runKamailio({
                benchDir: /** @type {string} */ (kamBench),
                config: system,
                scenario,
                rate,
                count: callsFor(rate, o.durationS),
                resultsDir: path.join(sessionDir, 'harness'),
                logFile: path.join(sessionDir, `${id}.log`),
              });
      } catch (error) {
        r = { system, scenario, offered_rate: rate, clean: false, strict: false, error: error.message, reasons: [error.message], cpu: {}, runs: [] };
      }
      r.id = id;
      if (probeUs !== null) r.machine_probe_us = probeUs;
      if (reruns > 0) r.disturbed_reruns = reruns;
      if (newProfiles) r.profiles = summarizeNewProfiles(o.profileDir, newProfiles, r);
      console.log(`${id.padEnd(30)} ${runLine(r)}`);
      if (!r.clean && !r.error && (r.cpu.other_pct ?? 0) > o.otherMaxPct && reruns < 2) {
        console.log(`   (disturbed: other processes used ${r.cpu.other_pct} % of a core; running ${rate}/s again)`);
        report.disturbances.push({ run: id, other_pct: r.cpu.other_pct });
        reruns++;
        await sleep(3000);
        continue;
      }
      if (r.error && /already in use/.test(r.error)) throw new Error(r.error);
      return r;
    }
  };

  // register: one users file for the session (users user000000..., as the harness's gen_users.sh),
  // enough for the largest run plus the warm-up's own users, so that every REGISTER is a new AoR
  let registerFiles = null;
  if (o.scenarios.includes('register')) {
    const top = o.fixedRate ?? Math.max(...o.rates.register);
    const warm = warmupRegistrationsFor(top, o.warmupS);
    registerFiles = prepareRegisterFiles(path.join(sessionDir, 'register-users'), registrationsFor(top, o.durationS) + warm, warm);
    if (o.compare) console.log('note: --compare runs Kamailio K2 for register (usrloc in memory; each run starts by loading the harness\'s 250,000 users, ~30 s)');
  }

  if (o.scenarios.includes('router')) {
    // The router alone, with 100,000 lcr rules and 100,000 mtree prefixes (router-bench.mjs).
    console.log('\n== router');
    report.router = await runRouterBench();
    console.log(formatRouterBench(report.router));
    writeReport();
  }
  if (o.scenarios.includes('accounting')) {
    // The accounting service alone on a full stream, then behind edge + router (accounting-bench.mjs).
    console.log('\n== accounting');
    noteDisturbance('before accounting');
    const ingestDir = path.join(sessionDir, `${String(++seq).padStart(3, '0')}-accounting-ingest`);
    mkdirSync(ingestDir, { recursive: true });
    report.accounting = {};
    try {
      report.accounting.ingest = await runAccountingIngest({
        ...o.acc,
        logDir: ingestDir,
        ...(o.profileDir ? { profileDir: o.profileDir } : {}),
        onRun: (r) => console.log(`${'accounting-ingest'.padEnd(30)} ${formatIngestRun(r)}`),
        onDisturbed: (r) => {
          console.log(`   (disturbed: other processes used ${r.cpu_pct.other} % of a core; measuring batchSize ${r.batch_size} again)`);
          report.disturbances.push({ run: `accounting-ingest-batch${r.batch_size}-${r.attempt}`, other_pct: r.cpu_pct.other });
        },
      });
    } catch (error) {
      report.accounting.ingest = { error: error.message };
      console.log(`accounting ingest: ERROR ${error.message}`);
    }
    writeReport();
    try {
      // --profile: the accounting service only (the edge's and router's profiles are the call scenario's business)
      const { SIPMESH_NODE_OPTIONS: _profiling, ...accSutEnv } = sutEnv;
      const b = await runByeToCdr({
        ...o.acc,
        warmupS: o.warmupS,
        sutEnv: accSutEnv,
        ...(o.profileDir ? { profileDir: o.profileDir } : {}),
        runDir: path.join(sessionDir, `${String(++seq).padStart(3, '0')}-accounting-calls`),
        onDisturbed: (r) => {
          console.log(`   (disturbed: other processes used ${r.other_pct} % of a core; BYE -> CDR p99 ${r.delay_ms.p99} ms; running the calls again)`);
          report.disturbances.push({ run: `accounting-calls-${r.attempt}`, other_pct: r.other_pct });
        },
      });
      report.accounting.bye_to_cdr = b;
      console.log(
        `${'accounting-calls'.padEnd(30)} ${b.sipp.calls} calls, ${b.sipp.successful} successful, ${b.cdrs} CDRs (${b.matched ? 'match' : 'MISMATCH'}); ` +
          `BYE -> CDR p50 ${b.delay_ms.p50} p99 ${b.delay_ms.p99} max ${b.delay_ms.max} ms; SIPp ${b.sipp.clean ? 'clean' : `DIRTY [${b.sipp.reasons.join('; ')}]`}; other ${b.other_pct} %`,
      );
    } catch (error) {
      report.accounting.bye_to_cdr = { error: error.message };
      console.log(`accounting calls: ERROR ${error.message}`);
    }
    writeReport();
  }
  if (o.scenarios.includes('media')) {
    // media-control over NATS and the same rtpengine straight over ng, then SIPp calls without and with media (media-bench.mjs)
    console.log('\n== media');
    noteDisturbance('before media');
    const mediaDir = path.join(sessionDir, `${String(++seq).padStart(3, '0')}-media`);
    mkdirSync(mediaDir, { recursive: true });
    try {
      report.media = await runMediaBench({
        ...o.media,
        logDir: mediaDir,
        edgeSet: o.edgeSet,
        keepTraces: o.keepTraces,
        onRun: (r) => console.log(r.variant ? formatInviteRun(r) : formatMediaRun(r)),
        onDisturbed: (r) => {
          const what = r.variant ? `${r.variant} media at ${r.rate}/s` : `${r.path} with ${r.concurrency} in flight`;
          console.log(`   (disturbed: other processes used ${r.cpu_pct.other} % of a core; measuring ${what} again)`);
          report.disturbances.push({ run: r.variant ? `media-invite-${r.variant}-${r.rate}-${r.attempt}` : `media-${r.path}-${r.concurrency}-${r.attempt}`, other_pct: r.cpu_pct.other });
        },
      });
    } catch (error) {
      report.media = { ok: false, error: error.message };
      console.log(`media: ERROR ${error.message}`);
    }
    writeReport();
  }
  for (const scenario of o.scenarios.filter((s) => !SEPARATE.has(s))) {
    const kam = kamailioConfigFor(scenario);
    const systems = o.compare ? ['sipmesh', kam] : ['sipmesh'];
    const entry = Object.fromEntries(systems.map((s) => [s, { max_clean_rate: null, first_dirty_rate: null, runs: [] }]));
    report.scenarios[scenario] = entry;
    console.log(`\n== ${scenario}`);
    noteDisturbance(`before ${scenario}`);
    if (o.fixedRate !== null) {
      for (let i = 0; i < o.runsPerRate; i++) {
        for (const s of systems) {
          entry[s].runs.push(await measured(s, scenario, o.fixedRate));
          writeReport();
        }
      }
    } else {
      const kamEarlier = new Map();
      const sipmeshSearch = await findMaxCleanRate({
        rates: o.rates[scenario],
        gran: o.gran[scenario],
        confirmRuns: o.confirmRuns,
        run: async (rate) => {
          const r = await measured('sipmesh', scenario, rate);
          entry.sipmesh.runs.push(r);
          if (systems.length > 1) {
            // interleaved: the other system at the same rate right after (the VM's speed drifts)
            const k = await measured(kam, scenario, rate);
            entry[kam].runs.push(k);
            kamEarlier.set(rate, [...(kamEarlier.get(rate) ?? []), k]);
          }
          writeReport();
          return r;
        },
      });
      entry.sipmesh.max_clean_rate = sipmeshSearch.maxCleanRate;
      entry.sipmesh.first_dirty_rate = sipmeshSearch.firstDirtyRate;
      if (systems.length > 1) {
        const kamSearch = await findMaxCleanRate({
          rates: o.rates[scenario],
          gran: o.gran[scenario],
          confirmRuns: o.confirmRuns,
          run: reusingRun(kamEarlier, async (rate) => {
            const k = await measured(kam, scenario, rate);
            entry[kam].runs.push(k);
            writeReport();
            return k;
          }),
        });
        entry[kam].max_clean_rate = kamSearch.maxCleanRate;
        entry[kam].first_dirty_rate = kamSearch.firstDirtyRate;
      }
    }
    for (const s of systems) {
      const clean = entry[s].runs.filter((r) => r.clean);
      entry[s].median_us_per_call_at_max = median(clean.filter((r) => r.offered_rate === entry[s].max_clean_rate).map((r) => r.cpu.sut_us_per_call));
    }
    writeReport();
    if (scenario === 'register' && o.lookups) {
      console.log('\n== registrar lookups and Redis memory');
      try {
        report.registrar = await runRegistrarLookupAndMemory({ repo: REPO, runDir: path.join(sessionDir, `${String(++seq).padStart(3, '0')}-registrar-lookups`), sutEnv });
        console.log(formatRegistrarLookupAndMemory(report.registrar));
      } catch (error) {
        report.registrar = { error: error.message };
        console.log(`registrar lookups/memory: ERROR ${error.message}`);
      }
      writeReport();
    }
  }

  report.finished = new Date().toISOString();
  report.build_at_end = buildInfo();
  const rebuilt = Object.keys(report.build).filter((k) => report.build[k] !== report.build_at_end[k]);
  if (rebuilt.length > 0) console.log(`\nwarning: ${rebuilt.join(', ')} rebuilt during the session: later runs measured newer code`);
  writeReport();
  console.log('\n================ summary ================');
  for (const scenario of o.scenarios.filter((s) => !SEPARATE.has(s))) {
    const table = scenarioTable(scenario, report.scenarios[scenario]);
    console.log(`\n${scenario === 'register' ? table.replace('MESSAGE..200', 'first REGISTER..final 200') : table}`);
  }
  if (report.scenarios.register) {
    const runs = report.scenarios.register.sipmesh.runs.filter((r) => r.clean && r.redis?.bytes_per_registration);
    const perReg = median(runs.map((r) => r.redis.bytes_per_registration));
    // measured side by side with --compare (the table above); otherwise the harness's own figure
    if (!report.scenarios.register.k2) console.log(formatKamailioComparison(report.scenarios.register.sipmesh.max_clean_rate));
    if (perReg !== null) console.log(`Redis after the REGISTER runs: ${perReg} bytes per registration (median over clean runs; binding + index + the 300 s nonce-count key)`);
  }
  if (report.registrar && !report.registrar.error) console.log(formatRegistrarLookupAndMemory(report.registrar));
  if (report.router) console.log(`\n${formatRouterBench(report.router)}`);
  if (report.accounting) {
    const { ingest, bye_to_cdr: calls } = report.accounting;
    console.log(`\n${formatAccountingBench({ ...(ingest?.error ? {} : { ingest }), ...(calls?.error ? {} : { bye_to_cdr: calls }) })}`);
    if (ingest?.error) console.log(`accounting ingest: ERROR ${ingest.error}`);
    if (calls?.error) console.log(`accounting calls: ERROR ${calls.error}`);
  }
  if (report.media) console.log(`\n${report.media.error ? `media: ERROR ${report.media.error}` : formatMediaBench(report.media)}`);
  const targets = { call: 2500, message: 6000, register: REGISTER_DEFAULTS.target };
  if (o.scenarios.some((s) => !SEPARATE.has(s))) console.log('\nissue targets (clean; call/message: edge + router over NATS; register: edge + registrar over NATS with Redis):');
  for (const scenario of o.scenarios.filter((s) => !SEPARATE.has(s))) {
    const m = report.scenarios[scenario].sipmesh.max_clean_rate;
    if (m !== null) console.log(`  ${scenario}: ${m}/s of ${targets[scenario]}/s ${m >= targets[scenario] ? 'MET' : 'not met'}`);
  }
  console.log(`\nJSON: ${path.join(o.out, `bench-${session}.json`)} (also .bench/latest.json)`);
  // a media error or a call left in rtpengine is a failure
  return report.media && !report.media.ok ? 1 : 0;
}

/** Summaries of the profiles that a run wrote (edge, router), over the UAC's window. */
function summarizeNewProfiles(dir, before, r) {
  const out = {};
  const pids = {};
  try {
    for (const line of readFileSync(path.join(r.run_dir ?? '', 'sut.pids'), 'utf8').split('\n')) {
      const [name, pid] = line.split(' ');
      if (name && pid) pids[pid] = name;
    }
  } catch {
    // no pids file: name profiles by pid
  }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f))) {
    const pid = file.split('.')[3] ?? '';
    const name = pids[pid] ?? `pid${pid}`;
    const window = r.uac_window_monotonic_us ?? [];
    const s = summarizeCpuProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), { top: 30, fromUs: window[0], toUs: window[1] });
    out[name] = { file: path.join(dir, file), ...s };
    console.log(formatProfileSummary(`${name} (${file}, UAC window only)`, { ...s, self_by_function: s.self_by_function.slice(0, 20), total_by_function: s.total_by_function.slice(0, 20) }));
  }
  return out;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`bench: ${signal}, stopping the processes started here`);
    void stopAllStarted().then(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`bench: ${error.message}`);
    process.exit(1);
  },
);
