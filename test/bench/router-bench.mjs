/* global fetch */
// Router benchmark (`npm run bench -- --scenarios router`, or `node test/bench/router-bench.mjs`):
// one router process over its own nats-server with 100,000 lcr rules and 100,000 mtree prefixes
// loaded from CSV files, asked by a load generator the way edges ask it. Prints
//   - how long the data takes to load,
//   - decisions per second with many requests in flight, and the router's CPU per decision,
//   - p50/p99/max decision latency at a fixed rate (open loop, measured at the asking side, so a
//     NATS round trip is included),
//   - how long a full reload takes while requests keep coming, and the worst latency meanwhile
//     (nothing may come near the edge's 5 s route deadline).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { clockTicksPerSecond, processTicks } from './lib/process-cpu.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');

export const ROUTER_BENCH_DEFAULTS = { rules: 100_000, prefixes: 100_000, gateways: 100, seconds: 8, inFlight: 64, fixedRate: 2000, deadlineMs: 5000 };

/** A deterministic random source, so every run loads the same data. */
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function uniqueDigits(n, minLen, maxLen, random) {
  const out = new Set();
  while (out.size < n) {
    const len = minLen + Math.floor(random() * (maxLen - minLen + 1));
    let s = '';
    for (let i = 0; i < len; i++) s += Math.floor(random() * 10);
    out.add(s);
  }
  return [...out];
}

function writeData(dir, o) {
  const random = lcg(7411);
  const gw = ['id,lcr_id,gw_name,ip_addr,hostname,port,params,uri_scheme,transport,strip,prefix,tag,flags,defunct'];
  for (let i = 1; i <= o.gateways; i++) gw.push(`${i},1,gw${i},10.1.${Math.floor(i / 250)}.${i % 250},,5060,,1,1,0,,,0,0`);
  const prefixes = uniqueDigits(o.rules, 3, 8, random);
  const rules = ['id,lcr_id,prefix,from_uri,request_uri,stopper,enabled'];
  const targets = ['lcr_id,rule_id,gw_id,priority,weight'];
  prefixes.forEach((p, i) => {
    rules.push(`${i + 1},1,${p},,,0,1`);
    targets.push(`1,${i + 1},${1 + Math.floor(random() * o.gateways)},1,1`);
    if (i % 2 === 0) targets.push(`1,${i + 1},${1 + Math.floor(random() * o.gateways)},2,1`);
  });
  const mt = ['tprefix,tvalue'];
  const mtPrefixes = uniqueDigits(o.prefixes, 2, 9, random);
  for (const p of mtPrefixes) mt.push(`${p},v${p.length}`);
  writeFileSync(path.join(dir, 'lcr_gw.csv'), gw.join('\n') + '\n');
  writeFileSync(path.join(dir, 'lcr_rule.csv'), rules.join('\n') + '\n');
  writeFileSync(path.join(dir, 'lcr_rule_target.csv'), targets.join('\n') + '\n');
  writeFileSync(path.join(dir, 'mtree.csv'), mt.join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'routes.yaml'),
    [
      'policies:',
      '  bench:',
      '    steps:',
      '      - mtree: { tree: bench, source: { file: mtree.csv }, use_as: var }',
      '      - lcr: { gateways: { file: lcr_gw.csv }, rules: { file: lcr_rule.csv }, targets: { file: lcr_rule_target.csv }, on_no_route: reply }',
      '',
    ].join('\n'),
  );
  // numbers to ask about: a rule prefix followed by digits
  return { users: prefixes.filter((_, i) => i % 97 === 0).map((p, i) => `${p}${String(i).padStart(4, '0')}`.slice(0, 12)) };
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function freePort(from) {
  for (let p = from; p < from + 100; p++) if (!(await portOpen(p))) return p;
  throw new Error(`no free port from ${from}`);
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function request(user, n) {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: `bench.${n}.1`,
    method: 'route',
    params: {
      version: '1.0', edge: 'bench', tx: `bench.${n}.1`, method: 'INVITE',
      ruri: `sip:${user}@example.com`, ruri_parts: { scheme: 'sip', user, host: 'example.com' },
      from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 't' },
      to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
      call_id: `bench-${n}`, cseq: { seq: 1, method: 'INVITE' }, headers: {},
      source: { ip: '192.0.2.4', port: 5060, transport: 'udp' }, socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
      ours: { ruri: true, from: true }, attempt: 1,
    },
  });
}

/** Cumulative counts of the router's decision-time histogram, by upper bound in ms. */
async function decisionBuckets(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const out = new Map();
  for (const m of text.matchAll(/^sipmesh_router_decision_seconds_bucket\{le="([^"]+)"[^}]*\} (\d+)/gm)) {
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000;
    out.set(le, (out.get(le) ?? 0) + Number(m[2]));
  }
  return out;
}

/** p50/p99 upper bounds (ms) from the difference of two histogram readings. */
function bucketQuantiles(before, after) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  const at = (q) => bounds[counts.findIndex((c) => c >= q * total)] ?? Infinity;
  return { p50: at(0.5), p99: at(0.99) };
}

function quantile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function runRouterBench(options = {}) {
  const o = { ...ROUTER_BENCH_DEFAULTS, ...options };
  const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-router-bench-'));
  const children = [];
  // the router first (it drains its NATS connection), then the server
  const stop = async () => {
    for (const c of [...children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  };
  try {
    const { users } = writeData(dir, o);
    const natsPort = await freePort(14322);
    const nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', path.join(dir, 'js')], { stdio: 'ignore' });
    children.push(nats);
    await waitFor(() => portOpen(natsPort), 10_000, 'nats-server start');
    const adminPort = await freePort(19470);
    const started = Date.now();
    const router = spawn(process.execPath, [path.join(REPO, 'services/router/dist/main.js'), '--nats', `nats://127.0.0.1:${natsPort}`, '--routes', path.join(dir, 'routes.yaml'), '--set', `admin.port=${adminPort}`, '--set', 'log.level=warn', '--set', 'id=bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(router);
    const nc = await connect({ servers: `nats://127.0.0.1:${natsPort}` });
    const subject = 'sipmesh.route.v1.bench';
    let n = 0;
    const ask = async () => {
      const user = users[n % users.length];
      const t0 = process.hrtime.bigint();
      const m = await nc.request(subject, request(user, ++n), { timeout: o.deadlineMs });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const body = m.json();
      if (!body.result) throw new Error(`router answered ${JSON.stringify(body).slice(0, 200)}`);
      return ms;
    };
    let lastError = "";
    await waitFor(async () => ask().then(() => true, (e) => ((lastError = e.message), false)), 120_000, "router answering with the data loaded").catch((e) => {
      throw new Error(`${e.message}: ${lastError}`);
    });
    const loadS = (Date.now() - started) / 1000;

    // throughput: many requests in flight
    const tick = clockTicksPerSecond();
    const cpu0 = processTicks(router.pid);
    let done = 0;
    const until = Date.now() + o.seconds * 1000;
    await Promise.all(Array.from({ length: o.inFlight }, async () => {
      while (Date.now() < until) {
        await ask();
        done++;
      }
    }));
    const cpuUs = ((processTicks(router.pid) - cpu0) / tick) * 1e6;
    const throughput = done / o.seconds;

    // latency at a fixed rate (open loop)
    const fixed = async (seconds, during) => {
      const lat = [];
      const pending = [];
      const interval = 1000 / o.fixedRate;
      const t0 = Date.now();
      let sent = 0;
      while (Date.now() - t0 < seconds * 1000) {
        const due = Math.floor((Date.now() - t0) / interval);
        while (sent < due) {
          sent++;
          pending.push(ask().then((ms) => lat.push(ms), () => lat.push(Infinity)));
        }
        if (during) await during(Date.now() - t0);
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(pending);
      return lat.sort((a, b) => a - b);
    };
    const before = await decisionBuckets(adminPort);
    const steady = await fixed(o.seconds);
    const inRouter = bucketQuantiles(before, await decisionBuckets(adminPort));

    // a full reload while requests keep coming
    let reloadMs = 0;
    let reloadStarted = false;
    let reloadDone;
    const during = await fixed(o.seconds, async (elapsed) => {
      if (!reloadStarted && elapsed > 1000) {
        reloadStarted = true;
        const r0 = Date.now();
        reloadDone = fetch(`http://127.0.0.1:${adminPort}/reload`, { method: 'POST' }).then(async (res) => {
          if (!res.ok) throw new Error(`reload answered ${res.status}: ${await res.text()}`);
          reloadMs = Date.now() - r0;
        });
      }
    });
    await reloadDone;
    await nc.close();
    return {
      rules: o.rules,
      prefixes: o.prefixes,
      loadS,
      throughput,
      inFlight: o.inFlight,
      cpuUsPerDecision: cpuUs / done,
      fixedRate: o.fixedRate,
      routerP50: inRouter.p50,
      routerP99: inRouter.p99,
      p50: quantile(steady, 0.5),
      p99: quantile(steady, 0.99),
      max: steady[steady.length - 1] ?? 0,
      reloadMs,
      duringReloadP99: quantile(during, 0.99),
      duringReloadMax: during[during.length - 1] ?? 0,
      overDeadline: during.filter((ms) => ms >= o.deadlineMs).length + steady.filter((ms) => ms >= o.deadlineMs).length,
    };
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRouterBench(r) {
  const f = (x) => x.toFixed(x < 10 ? 2 : 0);
  return [
    `router: ${r.rules.toLocaleString('en')} lcr rules + ${r.prefixes.toLocaleString('en')} mtree prefixes, loaded in ${r.loadS.toFixed(1)} s`,
    `  throughput: ${Math.round(r.throughput).toLocaleString('en')} decisions/s with ${r.inFlight} in flight, router CPU ${f(r.cpuUsPerDecision)} us/decision`,
    `  decision in the router at ${r.fixedRate}/s: p50 <= ${r.routerP50} ms, p99 <= ${r.routerP99} ms (histogram bucket bounds)`,
    `  answer at the asking side at ${r.fixedRate}/s: p50 ${f(r.p50)} ms, p99 ${f(r.p99)} ms, max ${f(r.max)} ms (NATS round trip and JSON included)`,
    `  full reload under ${r.fixedRate}/s: ${(r.reloadMs / 1000).toFixed(2)} s; meanwhile p99 ${f(r.duringReloadP99)} ms, max ${f(r.duringReloadMax)} ms; ${r.overDeadline} request(s) over the route deadline`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await runRouterBench();
  console.log(formatRouterBench(r));
  console.log(JSON.stringify(r));
}
