// Accounting benchmark (`npm run bench -- --scenarios accounting`, or `node test/bench/accounting-bench.mjs`):
// the accounting service (services/accounting) as its own process, against its own PostgreSQL
// database (dropped and created for every measurement), in two parts:
//   - ingest: N events (lib/accounting-events.mjs: answered calls, 100 JSON lines per message, as an
//     edge under load sends them) are published first to a private nats-server's SIPMESH_EVENTS
//     stream; then the service starts (consumer.startAt all) and reads them all. Events per second
//     from the service's readiness to its last row (its metrics, polled every 250 ms, every 20 ms
//     near the end), rows per second per table, CPU per event of the service, of PostgreSQL for
//     the bench database and of nats-server, once per consumer.batchSize; the rows are checked at
//     the end (counts, no duplicate, every CDR complete, call durations);
//   - BYE -> CDR: SIPp calls through edge + router (test/bench/sut.sh, its rule with the `acc` flag)
//     and the service on the SUT's NATS. A trigger on cdrs, in the bench database only, records
//     clock_timestamp() when a row's end_time is set; end_time is the edge's clock at the BYE's
//     arrival (same machine clock), so their difference is the delay from BYE to stored CDR
//     (recorded inside the writing transaction, which commits right after its batch).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EVENT_COUNT_HEADER, EVENTS_STREAM, encodeEvents, subjects } from '@sipmesh/contracts';
import { connectNatsBus } from '@sipmesh/runtime';
import { dropDatabase, freshDatabase, installCdrEndTrigger, postgresTicks, verifyIngest } from './lib/accounting-db.mjs';
import { accountingEventMessages } from './lib/accounting-events.mjs';
import { formatAccountingBench } from './lib/accounting-report.mjs';
import { lastStoreError, readMetrics, startAccounting } from './lib/accounting-service.mjs';
import { isAlive, startLogged, stopAllStarted, stopProcess, waitUntil } from './lib/child-process-control.mjs';
import { summarizeCpuProfile } from './lib/cpu-profile.mjs';
import { clockTicksPerSecond, descendantsOf, machineCpuNs, processTicks, reapedChildrenTicks } from './lib/process-cpu.mjs';
import { runSipmesh } from './lib/sipmesh-run.mjs';
import { freeTcpPort, portListens } from './lib/tcp-ports.mjs';

export { postgresProblem } from './lib/accounting-db.mjs';
export { formatAccountingBench, formatIngestRun } from './lib/accounting-report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

export const ACCOUNTING_DEFAULTS = {
  events: 200_000,
  perMessage: 100,
  /**
   * consumer.batchSize of each ingest: the service's default (40 messages), whose pulls
   * ((concurrency + 1) x batchSize messages of ~80 KB here) stay far below nats-server's 64 MiB
   * MaxPending, and 500, which overruns it (see docs/performance.md "Accounting").
   */
  batchSizes: [40, 500],
  pgUrl: 'postgres://postgres@127.0.0.1:5432',
  database: 'sipmesh_bench_acc',
  callRate: 200,
  callSeconds: 20,
  holdMs: 1000,
  warmupS: 3,
  target: 20_000,
  /** Metrics polling near the end of an ingest (every 250 ms before). */
  pollMs: 20,
  /** An ingest whose batches the database refuses for this long (or that makes no progress six times as long) is reported as stuck. */
  stallS: 10,
  timeoutS: 300,
  /**
   * A measurement with more other load than this (% of a core) is made again, twice at most. Not
   * the 10 of the SIPp scenarios: kernel time no process is charged with (loopback TCP, WAL
   * writes) comes to about 10 % here on a quiet machine.
   */
  otherMaxPct: 20,
};

/** A NATS port for sut.sh with its monitoring port (+1000) free too. */
async function freeSutNatsPort() {
  for (let p = 14400; p < 14500; p++) if (!(await portListens(p)) && !(await portListens(p + 1000))) return p;
  throw new Error('no free NATS port in 14400..14499 (with +1000 free)');
}

const round1 = (v) => Math.round(v * 10) / 10;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Publishes the messages to the stream as an edge does (Nats-Msg-Id = first event id, event count header), `window` at a time. */
async function publishEvents(natsUrl, messages, window = 64) {
  const bus = await connectNatsBus({ servers: natsUrl, name: 'accounting-bench-publisher' });
  try {
    await bus.ensureStream(EVENTS_STREAM, [subjects.events.all], { maxAgeMs: 24 * 3600_000, duplicateWindowMs: 120_000 });
    let next = 0;
    await Promise.all(
      Array.from({ length: window }, async () => {
        while (next < messages.length) {
          const m = messages[next++];
          await bus.publishEvent(m.subject, encodeEvents(m.lines), { msgId: m.msgId, headers: { [EVENT_COUNT_HEADER]: String(m.count) } });
        }
      }),
    );
  } finally {
    await bus.close();
  }
}

/** "Slow Consumer Detected" lines in a nats-server log: client connections the server cut for not reading fast enough. */
function slowConsumers(natsLog) {
  try {
    return readFileSync(natsLog, 'utf8').split('Slow Consumer Detected').length - 1;
  } catch {
    return 0;
  }
}

/** Longest time in s between two readings of the progress with nothing stored. */
function longestPause(progress) {
  let longest = 0;
  let since = progress[0]?.[0] ?? 0;
  for (let i = 1; i < progress.length; i++) {
    const [t, a, b] = progress[i];
    const [, pa, pb] = progress[i - 1];
    if (a !== pa || b !== pb) since = t;
    longest = Math.max(longest, t - since);
  }
  return Number((longest / 1000).toFixed(2));
}

/**
 * One ingest measurement: fresh database, the service started on the stream already full, until
 * its metrics count every event; then the service is stopped and the rows checked. CPU is read
 * over that window: the service, PostgreSQL for the bench database, nats-server, this process,
 * and the whole machine (the rest is other load: `other_pct`).
 */
async function ingestOnce({ o, natsUrl, natsPid, natsLog, batchSize, durable, expected, events, dir, attempt }) {
  const hz = clockTicksPerSecond();
  const dbUrl = `${o.pgUrl}/${o.database}`;
  const pool = await freshDatabase(o.pgUrl, o.database);
  let acct;
  try {
    const profileDir = o.profileDir ? path.join(o.profileDir, `accounting-batch${batchSize}-${attempt}`) : null;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const logFile = path.join(o.logDir ?? dir, `accounting-batch${batchSize}-${attempt}.log`);
    // before the start: the service reads (and can be cut) before its admin port answers
    const slow0 = slowConsumers(natsLog);
    acct = await startAccounting({ natsUrl, dbUrl, durable, batchSize, logFile, nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [], extraSet: o.accountingSet ?? [] });
    const postgres = postgresTicks(pool, o.database);
    await postgres.start();
    const cpu0 = { acc: processTicks(acct.proc.pid), nats: processTicks(natsPid), self: process.cpuUsage(), machine: machineCpuNs() };
    const readyMonoUs = Number(process.hrtime.bigint() / 1000n);
    const progress = [];
    let last = acct.metricsAtReady;
    let txDoneMs = null;
    let dialogDoneMs = null;
    const deadline = acct.readyMs + o.timeoutS * 1000;
    let movedMs = nowMs();
    let failuresWhenMoved = last.storeFailures;
    let stuck = null;
    for (;;) {
      if (!isAlive(acct.proc.pid) || acct.proc.child.exitCode !== null) throw new Error('accounting exited during the ingest (see its log)');
      const before = last;
      last = await readMetrics(acct.adminPort);
      await postgres.poll();
      const t = nowMs() - acct.readyMs;
      progress.push([Math.round(t), last.transaction, last.dialog]);
      if (txDoneMs === null && last.transaction >= expected.transactionEvents) txDoneMs = t;
      if (dialogDoneMs === null && last.dialog >= expected.dialogEvents) dialogDoneMs = t;
      if (txDoneMs !== null && dialogDoneMs !== null) break;
      if (last.transaction !== before.transaction || last.dialog !== before.dialog) {
        movedMs = nowMs();
        failuresWhenMoved = last.storeFailures;
      }
      // Stuck: batches the database keeps refusing (they come back every retryDelayMs, 2 s, and
      // fail again), or no progress at all for long (a batch of 50,000 events may take seconds).
      const refusing = last.storeFailures > failuresWhenMoved && nowMs() - movedMs > o.stallS * 1000;
      if (refusing || nowMs() - movedMs > o.stallS * 6000 || nowMs() > deadline) {
        stuck = { after_s: Number((t / 1000).toFixed(2)), transaction_events: last.transaction, dialog_events: last.dialog, store_failures: last.storeFailures, last_error: lastStoreError(logFile) };
        break;
      }
      // the metrics endpoint costs the service ~2 ms a call: often only near the end
      const near = (done, expectedN, n) => done !== null || n >= expectedN * 0.97;
      await sleep(near(txDoneMs, expected.transactionEvents, last.transaction) && near(dialogDoneMs, expected.dialogEvents, last.dialog) ? o.pollMs : 250);
    }
    const doneMonoUs = Number(process.hrtime.bigint() / 1000n);
    const self = process.cpuUsage(cpu0.self);
    const ticks = { acc: processTicks(acct.proc.pid) - cpu0.acc, nats: processTicks(natsPid) - cpu0.nats, postgres: postgres.total(), self: ((self.user + self.system) / 1e6) * hz };
    const machineNs = machineCpuNs() - cpu0.machine;
    await stopProcess(acct.proc, { signal: 'SIGTERM', graceMs: profileDir ? 30_000 : 10_000 });
    const nats = { slow_consumer_disconnects: slowConsumers(natsLog) - slow0, longest_pause_s: longestPause(progress) };
    if (stuck) return { batch_size: batchSize, events, stuck, nats, log: logFile, progress };

    const totalS = Math.max(txDoneMs, dialogDoneMs) / 1000;
    const pct = (t) => round1((100 * t) / hz / totalS);
    const machinePct = round1((100 * machineNs) / 1e9 / totalS);
    const usPerEvent = (t) => round1(((t / hz) * 1e6) / events);
    const verified = await verifyIngest(pool, expected);
    let profile = null;
    if (profileDir) {
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) profile = { file: path.join(profileDir, file), ...summarizeCpuProfile(JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')), { top: 25, fromUs: readyMonoUs, toUs: doneMonoUs }) };
    }
    const perTable = (n, doneMs, rows) => ({ events: n, rows, done_s: Number((doneMs / 1000).toFixed(2)), rows_per_s: Math.round(rows / (doneMs / 1000)), events_per_s: Math.round(n / (doneMs / 1000)) });
    return {
      batch_size: batchSize,
      events,
      start_to_ready_s: Number(((acct.readyMs - acct.spawnedMs) / 1000).toFixed(2)),
      counted_at_ready: acct.metricsAtReady.transaction + acct.metricsAtReady.dialog,
      total_s: Number(totalS.toFixed(2)),
      events_per_s: Math.round(events / totalS),
      acc: perTable(expected.transactionEvents, txDoneMs, verified.acc_rows),
      cdrs: perTable(expected.dialogEvents, dialogDoneMs, verified.cdrs),
      cpu_us_per_event: { accounting: usPerEvent(ticks.acc), postgres: usPerEvent(ticks.postgres), nats_server: usPerEvent(ticks.nats) },
      cpu_pct: { accounting: pct(ticks.acc), postgres: pct(ticks.postgres), nats_server: pct(ticks.nats), bench: pct(ticks.self), machine: machinePct, other: round1(machinePct - pct(ticks.acc + ticks.postgres + ticks.nats + ticks.self)) },
      postgres_cpu_scope: postgres.scope(),
      invalid_events: last.transactionInvalid + last.dialogInvalid,
      store_failures: last.storeFailures,
      // events counted twice: stored again after a redelivery (no row added)
      redelivered_events: last.transaction + last.dialog - expected.transactionEvents - expected.dialogEvents,
      nats,
      verified,
      progress,
      profile,
    };
  } finally {
    if (acct) await stopProcess(acct.proc, { signal: 'SIGTERM', graceMs: 10_000 });
    await pool.end();
  }
}

/**
 * Diagnostic (`only`): keep the messages of one consumer, transaction (acc rows) or dialog (CDRs),
 * so that the cost of each table can be measured alone; the other table is expected empty.
 */
function onlyKind(generated, only) {
  const keep = only === 'transaction' ? (m) => m.subject === subjects.events.transactionCompleted : (m) => m.subject !== subjects.events.transactionCompleted;
  generated.messages = generated.messages.filter(keep);
  generated.events = generated.messages.reduce((n, m) => n + m.count, 0);
  const e = generated.expected;
  generated.expected = only === 'transaction' ? { ...e, dialogEvents: 0, cdrs: 0, totalDurationMs: 0 } : { ...e, transactionEvents: 0, accRows: 0 };
}

/** Part 1: the service reading a stream already holding `events` events, once per batch size. */
export async function runAccountingIngest(options = {}) {
  const o = { ...ACCOUNTING_DEFAULTS, ...options };
  const calls = Math.ceil(o.events / 5);
  const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-acc-bench-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // an interrupt ends the process from bench.mjs's signal handler: the temp dir goes then too
  process.once('exit', removeDir);
  let nats;
  try {
    const t0 = nowMs();
    const generated = accountingEventMessages({ calls, perMessage: o.perMessage });
    if (o.only) onlyKind(generated, o.only);
    const generateS = (nowMs() - t0) / 1000;
    const natsPort = await freeTcpPort();
    nats = startLogged('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', path.join(dir, 'jetstream')], {
      cwd: dir,
      env: process.env,
      stdoutFile: path.join(dir, 'nats.log'),
      stderrFile: path.join(dir, 'nats.log'),
    });
    if (!(await waitUntil(async () => (await portListens(natsPort)) || !isAlive(nats.pid), 10_000)) || !isAlive(nats.pid)) throw new Error('private nats-server did not start');
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const t1 = nowMs();
    await publishEvents(natsUrl, generated.messages);
    const publishS = (nowMs() - t1) / 1000;
    const runs = [];
    for (const batchSize of o.batchSizes) {
      // a measurement during which other processes used more than otherMaxPct % of a core is made again (twice at most)
      for (let attempt = 1; ; attempt++) {
        const r = await ingestOnce({ o, natsUrl, natsPid: nats.pid, natsLog: path.join(dir, 'nats.log'), batchSize, durable: `bench-batch${batchSize}-${attempt}`, expected: generated.expected, events: generated.events, dir, attempt });
        r.attempt = attempt;
        o.onRun?.(r);
        if (!r.stuck && r.cpu_pct.other > o.otherMaxPct && attempt < 3) {
          (o.onDisturbed ?? (() => undefined))(r);
          continue;
        }
        runs.push(r);
        break;
      }
    }
    if (!o.keepDatabase) await dropDatabase(o.pgUrl, o.database);
    return {
      events: generated.events,
      calls,
      messages: generated.messages.length,
      per_message: o.perMessage,
      bytes_per_event: Math.round(generated.bytes / generated.events),
      generate_s: round1(generateS),
      publish_s: round1(publishS),
      target: o.target,
      runs,
    };
  } finally {
    if (nats) await stopProcess(nats, { signal: 'SIGTERM', graceMs: 10_000 });
    // the server's log (slow consumers, ...) goes with the service's logs
    if (o.logDir) cpSync(path.join(dir, 'nats.log'), path.join(o.logDir, 'nats-server.log'), { force: true });
    removeDir();
    process.removeListener('exit', removeDir);
  }
}

function quantile(sorted, q) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** CPU counters of this process and everything it started (a window starts here). */
function ownCpuStart() {
  const pids = descendantsOf(process.pid);
  return { ticks: new Map(pids.map((pid) => [pid, processTicks(pid)])), reaped: reapedChildrenTicks(process.pid), self: process.cpuUsage(), machine: machineCpuNs(), wallMs: nowMs() };
}

/** % of a core used over the window by others than this process, its children (any depth, reaped ones too) and `extraTicks`. */
function otherPctSince(start, extraTicks) {
  const hz = clockTicksPerSecond();
  let ours = reapedChildrenTicks(process.pid) - start.reaped + extraTicks;
  for (const [pid, t] of start.ticks) ours += Math.max(0, processTicks(pid) - t);
  const self = process.cpuUsage(start.self);
  const s = (nowMs() - start.wallMs) / 1000;
  const machinePct = (100 * (machineCpuNs() - start.machine)) / 1e9 / s;
  return round1(machinePct - (100 * (ours / hz + (self.user + self.system) / 1e6)) / s);
}

/**
 * Part 2: SIPp calls (hold `holdMs`) through sut.sh (edge + router over its own nats-server, the
 * bench rule with the `acc` flag) and the accounting service on that NATS; the delay of every
 * call from its BYE at the edge to its CDR's end in PostgreSQL. Made again (twice at most) when
 * other processes used more than `otherMaxPct` % of a core meanwhile.
 * @param {{runDir: string, sutEnv?: Record<string, string>, callRate?: number, callSeconds?: number, holdMs?: number, warmupS?: number,
 *   pgUrl?: string, database?: string, keepDatabase?: boolean, otherMaxPct?: number, onDisturbed?: (r: object) => void}} options
 */
export async function runByeToCdr(options) {
  const o = { ...ACCOUNTING_DEFAULTS, ...options };
  for (let attempt = 1; ; attempt++) {
    const r = await byeToCdrOnce({ ...o, runDir: attempt === 1 ? o.runDir : `${o.runDir}-${attempt}` });
    r.attempt = attempt;
    if (r.other_pct > o.otherMaxPct && attempt < 3) {
      o.onDisturbed?.(r);
      continue;
    }
    return r;
  }
}

async function byeToCdrOnce(o) {
  const hz = clockTicksPerSecond();
  mkdirSync(o.runDir, { recursive: true });
  const natsPort = await freeSutNatsPort();
  const pool = await freshDatabase(o.pgUrl, o.database);
  const postgres = postgresTicks(pool, o.database);
  let acct;
  let window = null;
  let accTicks = 0;
  let pgTicks = 0;
  let otherPct = null;
  let drained = null;
  const monoUs = [0, 0];
  const profileDir = o.profileDir ? path.join(o.profileDir, `accounting-calls-${path.basename(o.runDir)}`) : null;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  try {
    await installCdrEndTrigger(pool);
    const run = await runSipmesh({
      repo: REPO,
      scenario: 'call',
      rate: o.callRate,
      durationS: o.callSeconds,
      holdMs: o.holdMs,
      warmupS: o.warmupS,
      runDir: o.runDir,
      sutEnv: { ...o.sutEnv, SIPMESH_NATS_PORT: String(natsPort), SIPMESH_BENCH_ACC: 'acc' },
      onSutReady: async () => {
        acct = await startAccounting({
          natsUrl: `nats://127.0.0.1:${natsPort}`,
          dbUrl: `${o.pgUrl}/${o.database}`,
          durable: 'bench-calls',
          logFile: path.join(o.runDir, 'accounting.log'),
          nodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
          extraSet: o.accountingSet ?? [],
        });
        await postgres.start();
        accTicks = processTicks(acct.proc.pid);
        window = ownCpuStart();
        monoUs[0] = Number(process.hrtime.bigint() / 1000n);
      },
      beforeSutStop: async () => {
        // every CDR ended and nothing new for 1.5 s (the last BYEs' events are on their way)
        const t0 = nowMs();
        let seen = -1;
        let quietSince = nowMs();
        for (;;) {
          await postgres.poll();
          const r = (await pool.query('SELECT count(*)::int AS n, count(*) FILTER (WHERE end_time IS NULL)::int AS open FROM cdrs').catch(() => ({ rows: [{ n: seen, open: 1 }] }))).rows[0];
          if (r.n !== seen) {
            seen = r.n;
            quietSince = nowMs();
          } else if (r.open === 0 && nowMs() - quietSince > 1500) break;
          if (nowMs() - t0 > 30_000) break;
          await sleep(100);
        }
        drained = { wait_s: Number(((nowMs() - t0) / 1000).toFixed(2)) };
        monoUs[1] = Number(process.hrtime.bigint() / 1000n);
        if (acct) {
          accTicks = processTicks(acct.proc.pid) - accTicks;
          pgTicks = postgres.total();
          if (window) otherPct = otherPctSince(window, pgTicks);
          await stopProcess(acct.proc, { signal: 'SIGTERM', graceMs: profileDir ? 30_000 : 10_000 });
        }
      },
    });
    let profile = null;
    const file = profileDir ? readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
    if (profileDir && file) profile = { file: path.join(profileDir, file), ...summarizeCpuProfile(JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')), { top: 25, fromUs: monoUs[0], toUs: monoUs[1] }) };
    const delays = (await pool.query('SELECT EXTRACT(EPOCH FROM (stored_at - end_time)) * 1000 AS ms FROM bench_cdr_end')).rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
    const counts = (
      await pool.query(
        `SELECT (SELECT count(*)::int FROM cdrs) AS cdrs,
                (SELECT count(DISTINCT callid)::int FROM cdrs) AS callids,
                (SELECT count(*)::int FROM cdrs WHERE end_time IS NOT NULL AND disposition = 'answered' AND hangup = 'caller' AND bye_code = 200) AS answered_ended,
                (SELECT count(*)::int FROM acc) AS acc_rows`,
      )
    ).rows[0];
    const calls = (run.warmup?.count ?? 0) + run.count;
    const successful = (run.warmup?.successful ?? 0) + run.successful;
    const perCall = (ticks) => (successful > 0 ? round1(((ticks / hz) * 1e6) / successful) : null);
    return {
      rate: o.callRate,
      seconds: o.callSeconds,
      hold_ms: o.holdMs,
      warmup: run.warmup,
      sipp: { clean: run.clean, reasons: run.reasons, calls, successful, failed: (run.warmup?.failed ?? 0) + run.failed, response_ms: run.response_ms },
      cdrs: counts.cdrs,
      cdr_callids: counts.callids,
      cdrs_answered_ended: counts.answered_ended,
      acc_rows: counts.acc_rows,
      matched: counts.cdrs === successful && counts.answered_ended === successful && counts.callids === successful && counts.acc_rows === 2 * successful,
      delay_ms: {
        n: delays.length,
        p50: round1(quantile(delays, 0.5) ?? NaN),
        p95: round1(quantile(delays, 0.95) ?? NaN),
        p99: round1(quantile(delays, 0.99) ?? NaN),
        max: round1(delays[delays.length - 1] ?? NaN),
        min: round1(delays[0] ?? NaN),
      },
      drained,
      // accounting and PostgreSQL from the service's start to the last CDR (warm-up included), the SUT over the measured UAC run
      cpu_us_per_call: { accounting: perCall(accTicks), postgres: perCall(pgTicks), ...run.cpu.parts_us_per_call },
      other_pct: otherPct,
      run_dir: o.runDir,
      profile,
    };
  } finally {
    if (acct) await stopProcess(acct.proc, { signal: 'SIGTERM', graceMs: 10_000 });
    await pool.end();
    if (!o.keepDatabase) await dropDatabase(o.pgUrl, o.database).catch(() => undefined);
  }
}

/** Both parts (SIPp files of the calls in `runDir`, or in a temp dir removed afterwards). */
export async function runAccountingBench(options = {}) {
  const ingest = await runAccountingIngest(options);
  const runDir = options.runDir ?? mkdtempSync(path.join(tmpdir(), 'sipmesh-acc-calls-'));
  const removeDir = () => rmSync(runDir, { recursive: true, force: true });
  if (!options.runDir) process.once('exit', removeDir);
  try {
    return { ingest, bye_to_cdr: await runByeToCdr({ ...options, runDir }) };
  } finally {
    if (!options.runDir) {
      removeDir();
      process.removeListener('exit', removeDir);
    }
  }
}

// Alone: node test/bench/accounting-bench.mjs [--ingest-only] [--events N] [--batch-sizes "500 40"] [--only transaction|dialog]
//   [--set path=value ...] (the service's overrides) [--profile DIR] [--log-dir DIR] [--timeout S]; prints the tables, then the
//   results as one JSON line.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const value = (flag) => {
    const k = args.indexOf(flag);
    return k >= 0 ? args[k + 1] : undefined;
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stopAllStarted().then(() => process.exit(130)));
  const options = {};
  if (value('--events')) options.events = Number(value('--events'));
  if (value('--batch-sizes')) options.batchSizes = String(value('--batch-sizes')).split(/[\s,]+/).filter(Boolean).map(Number);
  if (value('--profile')) options.profileDir = path.resolve(String(value('--profile')));
  if (value('--log-dir')) options.logDir = path.resolve(String(value('--log-dir')));
  if (value('--timeout')) options.timeoutS = Number(value('--timeout'));
  if (value('--only')) options.only = value('--only');
  options.accountingSet = args.flatMap((a, k) => (a === '--set' && args[k + 1] ? [args[k + 1]] : []));
  const r = args.includes('--ingest-only') ? { ingest: await runAccountingIngest(options) } : await runAccountingBench(options);
  console.log(formatAccountingBench(r));
  console.log(JSON.stringify({ ...r, ingest: r.ingest ? { ...r.ingest, runs: r.ingest.runs.map((x) => ({ ...x, progress: undefined, profile: undefined })) } : undefined }));
}
