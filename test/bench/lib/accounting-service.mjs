/* global fetch */
/**
 * The accounting service (services/accounting/dist/main.js) as a process of the bench: started
 * with its admin port on a free TCP port, ready when /metrics answers; its counters read from
 * there (events stored, refused batches), its last refusal read from its log.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, startLogged, stopProcess, waitUntil } from './child-process-control.mjs';
import { freeTcpPort } from './tcp-ports.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const ACCOUNTING_MAIN = path.join(REPO, 'services/accounting/dist/main.js');
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Sum of every sample of a metric in Prometheus text, optionally only those with `label`. */
function metricSum(text, name, label = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (label !== '' && !line.includes(label)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The service's event counters (sums over outcomes) and refused batches. */
export async function readMetrics(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  return {
    transaction: metricSum(text, 'sipmesh_accounting_events_total'),
    transactionInvalid: metricSum(text, 'sipmesh_accounting_events_total', 'outcome="invalid"'),
    dialog: metricSum(text, 'sipmesh_accounting_dialog_events_total'),
    dialogInvalid: metricSum(text, 'sipmesh_accounting_dialog_events_total', 'outcome="invalid"'),
    storeFailures: metricSum(text, 'sipmesh_accounting_store_failures_total'),
  };
}

/**
 * The service as its own process (a new durable consumer `durable` reading the whole stream,
 * `extraSet` more --set overrides, `nodeFlags` e.g. --cpu-prof); resolves once its admin port
 * answers /metrics, with the monotonic ms of the spawn and of readiness and the counters then.
 */
export async function startAccounting({ natsUrl, dbUrl, durable, batchSize, logFile, nodeFlags = [], extraSet = [] }) {
  const adminPort = await freeTcpPort();
  const args = [
    ...nodeFlags,
    ACCOUNTING_MAIN,
    '--nats', natsUrl,
    '--set', `database.url=${dbUrl}`,
    '--set', `admin.port=${adminPort}`,
    '--set', 'log.level=warn',
    '--set', 'id=bench',
    '--set', `consumer.durable=${durable}`,
    '--set', 'consumer.startAt=all',
    ...(batchSize === undefined ? [] : ['--set', `consumer.batchSize=${batchSize}`]),
    ...extraSet.flatMap((kv) => ['--set', kv]),
  ];
  const spawnedMs = nowMs();
  const proc = startLogged(process.execPath, args, { cwd: REPO, env: process.env, stdoutFile: logFile, stderrFile: logFile });
  let metrics = null;
  const ready = await waitUntil(
    async () => {
      if (!isAlive(proc.pid) || proc.child.exitCode !== null) return true;
      metrics = await readMetrics(adminPort).catch(() => null);
      return metrics !== null;
    },
    30_000,
    20,
  );
  if (!ready || metrics === null) {
    await stopProcess(proc, { signal: 'SIGTERM', graceMs: 5000 });
    let log = '';
    try {
      log = readFileSync(logFile, 'utf8').split('\n').slice(-5).join(' | ');
    } catch {
      // no log
    }
    throw new Error(`accounting did not get ready: ${log}`);
  }
  return { proc, adminPort, spawnedMs, readyMs: nowMs(), metricsAtReady: metrics };
}

/** The message of the last "events not stored" warning in a service log (JSON lines). */
export function lastStoreError(logFile) {
  let text;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l.includes('events not stored'));
  try {
    const entry = JSON.parse(lines[lines.length - 1] ?? 'null');
    return entry ? `${entry.err?.message ?? ''} (${entry.messages} messages, consumer ${entry.durable})` : null;
  } catch {
    return null;
  }
}
