/* global fetch */
/**
 * The processes of the media scenario, all private to the bench and each under GNU `timeout` (a
 * bench killed without cleanup leaves nothing running for long):
 *   - a nats-server on a free TCP port, JetStream in a temp dir (media-control keeps the operator's
 *     enable/disable switches in a KV bucket);
 *   - rtpengine (Debian rtpengine-daemon, userspace: --table=-1, --delete-delay=0) on 127.0.0.1,
 *     its ng listener on a free UDP port, its RTP ports a block of 1000 (or more) in 20000-29999
 *     claimed with the port lease the tests' helper uses (test/helpers/port-leases.ts: a file
 *     "<pid> <expiry ms>" per leased port in <tmpdir>/sipmesh-port-leases, on the block's first
 *     port), so a test suite running meanwhile never gets the same block;
 *   - media-control (services/media-control/dist/main.js) on that NATS with that rtpengine as its
 *     default set, affinity in memory, its admin HTTP on a free TCP port; ready when /ready says so.
 * Also read here: media-control's metrics, its affinity count, and the drop counters of the UDP
 * sockets of a process (from its socket inodes) or of a port.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { identify, isAlive, startLogged, stopProcess, waitUntil } from './child-process-control.mjs';
import { descendantsOf, udpSockets } from './process-cpu.mjs';
import { freeTcpPort, portListens } from './tcp-ports.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const MEDIA_CONTROL_MAIN = path.join(REPO, 'services/media-control/dist/main.js');
export const RTPENGINE_BIN = 'rtpengine';

/** RTP port blocks as the tests' helper (test/helpers/rtpengine.ts) hands them out. */
const RTP_BLOCK_RANGE = { first: 20_000, last: 29_999 };
const RTP_BLOCK_SIZE = 1_000;
const LEASE_DIR = path.join(tmpdir(), 'sipmesh-port-leases');

// ------------------------------------------------------------------ port leases (tests' format)

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

async function isPortLeased(port) {
  try {
    const [pid, until] = (await readFile(path.join(LEASE_DIR, String(port)), 'utf8')).trim().split(' ');
    return Number.isInteger(Number(pid)) && Number(until) > Date.now() && processAlive(Number(pid));
  } catch {
    return false;
  }
}

let draftSequence = 0;
/** Takes the lease of `port` until released (or this process ends); false when someone holds it. */
async function leasePort(port) {
  await mkdir(LEASE_DIR, { recursive: true });
  // written to a private draft, then hard-linked into place: the lease appears with its content or not at all
  const draft = path.join(LEASE_DIR, `.${port}.${process.pid}.${++draftSequence}`);
  await writeFile(draft, `${process.pid} Infinity`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, path.join(LEASE_DIR, String(port)));
        return true;
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
      }
      if (await isPortLeased(port)) return false;
      await rm(path.join(LEASE_DIR, String(port)), { force: true }); // stale: its owner is gone
    }
    return false;
  } finally {
    await rm(draft, { force: true });
  }
}

async function releaseLease(port) {
  try {
    const [pid] = (await readFile(path.join(LEASE_DIR, String(port)), 'utf8')).trim().split(' ');
    if (Number(pid) === process.pid) await rm(path.join(LEASE_DIR, String(port)), { force: true });
  } catch {
    // not leased
  }
}

/**
 * `blocks` consecutive RTP blocks that no socket uses and nobody leased; each block's first port
 * is leased. Resolves with { portMin, portMax, release() }.
 */
export async function claimRtpPorts(blocks) {
  const bound = new Set(udpSockets().map((s) => s.port));
  for (let first = RTP_BLOCK_RANGE.first; first + blocks * RTP_BLOCK_SIZE - 1 <= RTP_BLOCK_RANGE.last; first += RTP_BLOCK_SIZE) {
    const firsts = Array.from({ length: blocks }, (_, i) => first + i * RTP_BLOCK_SIZE);
    let busy = false;
    for (let p = first; p < first + blocks * RTP_BLOCK_SIZE && !busy; p++) busy = bound.has(p);
    if (busy) continue;
    const leased = [];
    for (const f of firsts) {
      if ((await isPortLeased(f)) || !(await leasePort(f))) break;
      leased.push(f);
    }
    if (leased.length === blocks) {
      // an interrupted bench ends in process.exit: the leases go then too (a dead owner's lease is stale anyway)
      const onExit = () => {
        for (const f of leased) {
          try {
            if (Number(readFileSync(path.join(LEASE_DIR, String(f)), 'utf8').split(' ')[0]) === process.pid) rmSync(path.join(LEASE_DIR, String(f)), { force: true });
          } catch {
            // gone
          }
        }
      };
      process.once('exit', onExit);
      const release = async () => {
        process.removeListener('exit', onExit);
        await Promise.all(leased.map(releaseLease));
      };
      return { portMin: first, portMax: first + blocks * RTP_BLOCK_SIZE - 1, release };
    }
    await Promise.all(leased.map(releaseLease));
  }
  throw new Error(`no ${blocks} free block(s) of ${RTP_BLOCK_SIZE} RTP ports in ${RTP_BLOCK_RANGE.first}-${RTP_BLOCK_RANGE.last}`);
}

/** Blocks of RTP ports for `calls` calls at once (4 ports each, a margin of 100). */
export function rtpBlocksFor(calls) {
  return Math.max(1, Math.ceil((4 * calls + 100) / RTP_BLOCK_SIZE));
}

/** A UDP port of 127.0.0.1 nobody has bound now (the kernel's choice). */
export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ processes

/**
 * `cmd args` under `timeout --kill-after=5 lifetimeS`, output to `logFile`; resolves once the
 * command itself runs, with { proc (the timeout process, to stop), pid (the command's, for its CPU) }.
 */
export async function startBounded(cmd, args, { cwd, logFile, lifetimeS, env = process.env }) {
  const proc = startLogged('timeout', ['--kill-after=5', String(Math.ceil(lifetimeS)), cmd, ...args], { cwd, env, stdoutFile: logFile, stderrFile: logFile });
  let pid = 0;
  await waitUntil(() => {
    pid = descendantsOf(proc.pid)[0] ?? 0;
    return pid !== 0 || !isAlive(proc.pid);
  }, 5000, 5);
  if (pid === 0) {
    await stopProcess(proc, { graceMs: 2000 });
    throw new Error(`${cmd} did not start: ${logTail(logFile)}`);
  }
  return { proc, pid };
}

export function logTail(file, lines = 5) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** SIGTERM (timeout passes it on), SIGKILL after `graceMs`, the command too if still the same process. */
export async function stopBounded(p, graceMs = 10_000) {
  if (!p) return;
  await stopProcess(p.proc, { signal: 'SIGTERM', graceMs, alsoKill: identify([p.pid]) });
}

/** nats-server on a free port of 127.0.0.1 with JetStream in `dir`. */
export async function startNatsServer({ dir, lifetimeS }) {
  for (let attempt = 1; ; attempt++) {
    const port = await freeTcpPort();
    const logFile = path.join(dir, 'nats-server.log');
    const p = await startBounded('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(dir, 'jetstream')], { cwd: dir, logFile, lifetimeS });
    if ((await waitUntil(async () => (await portListens(port)) || !isAlive(p.pid), 10_000)) && isAlive(p.pid)) return { ...p, port, url: `nats://127.0.0.1:${port}`, logFile };
    await stopBounded(p, 2000);
    // someone took the port between the check and the bind: another one
    if (attempt >= 3) throw new Error(`private nats-server did not start: ${logTail(logFile)}`);
  }
}

/** `rtpengine --version`'s version (it prints to stderr), e.g. 10.5.3.5-1+deb12u1. */
export function rtpengineVersion() {
  const r = spawnSync(RTPENGINE_BIN, ['--version'], { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  return /Version:\s*(\S+)/.exec(text)?.[1] ?? (text.trim().split('\n')[0] || null);
}

/**
 * rtpengine on 127.0.0.1 (one interface, no kernel forwarding, deleted calls gone at once),
 * ready when it answers `ping` through `ng` (an NgClient). `calls`: how many it must hold at once.
 */
export async function startRtpengine({ dir, ng, calls, logLevel, lifetimeS }) {
  const ports = await claimRtpPorts(rtpBlocksFor(calls));
  try {
    for (let attempt = 1; ; attempt++) {
      const ngPort = await freeUdpPort();
      const logFile = path.join(dir, `rtpengine-${attempt}.log`);
      const args = [
        '--config-file=none',
        '--foreground',
        '--log-stderr',
        '--table=-1',
        '--interface=127.0.0.1',
        `--listen-ng=127.0.0.1:${ngPort}`,
        `--port-min=${ports.portMin}`,
        `--port-max=${ports.portMax}`,
        `--log-level=${logLevel}`,
        '--delete-delay=0',
        `--pidfile=${path.join(dir, 'rtpengine.pid')}`,
      ];
      const p = await startBounded(RTPENGINE_BIN, args, { cwd: dir, logFile, lifetimeS });
      const instance = { host: '127.0.0.1', port: ngPort };
      const up = await waitUntil(async () => !isAlive(p.pid) || (await ng.ping(instance, { timeoutMs: 200, retransmitMs: 50 }).then(() => true, () => false)), 15_000, 20);
      if (up && isAlive(p.pid)) return { ...p, ng: instance, ngPort, portMin: ports.portMin, portMax: ports.portMax, logFile, args, releasePorts: ports.release };
      await stopBounded(p, 2000);
      if (attempt >= 3) throw new Error(`rtpengine did not answer ping: ${logTail(logFile)}`);
    }
  } catch (error) {
    await ports.release();
    throw error;
  }
}

/** media-control over `natsUrl` with `rtpengine` (udp:host:port) as its default set; ready when /ready answers 200. */
export async function startMediaControl({ dir, natsUrl, rtpengine, extraSet = [], nodeFlags = [], lifetimeS }) {
  const adminPort = await freeTcpPort();
  const logFile = path.join(dir, 'media-control.log');
  const args = [
    ...nodeFlags,
    MEDIA_CONTROL_MAIN,
    '--nats', natsUrl,
    '--rtpengine', rtpengine,
    '--set', `admin.port=${adminPort}`,
    '--set', 'affinity.store=memory',
    '--set', 'log.level=warn',
    '--set', 'id=bench',
    ...extraSet.flatMap((kv) => ['--set', kv]),
  ];
  const p = await startBounded(process.execPath, args, { cwd: REPO, logFile, lifetimeS });
  const ready = await waitUntil(async () => {
    if (!isAlive(p.pid)) return true;
    const r = await fetch(`http://127.0.0.1:${adminPort}/ready`).catch(() => null);
    return r?.status === 200;
  }, 30_000, 50);
  if (!ready || !isAlive(p.pid)) {
    await stopBounded(p, 5000);
    throw new Error(`media-control did not get ready: ${logTail(logFile)}`);
  }
  return { ...p, adminPort, logFile, args };
}

// ------------------------------------------------------------------ counters

/**
 * What both parts of the media bench run on: a private nats-server, rtpengine (RTP ports for
 * `calls` calls at once) and media-control, and a NATS connection on which media-control has
 * answered a probe (a delete of a call nobody has: deleted false). `stop()` stops what started,
 * in reverse order; `ng` stays the caller's.
 */
export async function startMediaStack({ dir, ng, calls, logLevel, mediaSet = [], lifetimeS, name }) {
  const stack = {
    nats: undefined,
    rtpe: undefined,
    media: undefined,
    nc: undefined,
    async stop() {
      if (stack.nc) await stack.nc.close().catch(() => undefined);
      await stopBounded(stack.media);
      await stopBounded(stack.rtpe);
      await stack.rtpe?.releasePorts();
      await stopBounded(stack.nats);
      // the logs stay in dir, not the stream store
      rmSync(path.join(dir, 'jetstream'), { recursive: true, force: true });
    },
  };
  try {
    stack.nats = await startNatsServer({ dir, lifetimeS });
    stack.rtpe = await startRtpengine({ dir, ng, calls, logLevel, lifetimeS });
    stack.media = await startMediaControl({ dir, natsUrl: stack.nats.url, rtpengine: `udp:127.0.0.1:${stack.rtpe.ngPort}`, extraSet: mediaSet, lifetimeS });
    stack.nc = await connect({ servers: stack.nats.url, name });
    const probe = JSON.parse(
      (await stack.nc.request('sipmesh.media.v1.delete', JSON.stringify({ jsonrpc: '2.0', id: 'probe', method: 'delete', params: { version: '1.0', call_id: 'mb-probe', from_tag: 'probe' } }), { timeout: 5000 })).string(),
    );
    if (probe.result?.deleted !== false) throw new Error(`media-control's probe answer: ${JSON.stringify(probe)}`);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

/** Samples of metric `name` in Prometheus text: [{ labels, value }]. */
export function samples(text, name) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = Object.fromEntries([...(/\{(.*)\}/.exec(line)?.[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return out;
}

/**
 * media-control's counters: requests answered by method and outcome, deletes by whether rtpengine
 * had the call, and its ng round trips (count, sum in s, and how many took longer than 250 ms, the
 * retransmission interval: a command that waited for a retransmission, or queued that long).
 */
export async function readMediaMetrics(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const commands = {};
  for (const s of samples(text, 'sipmesh_media_commands_total')) {
    commands[s.labels.method] ??= {};
    commands[s.labels.method][s.labels.outcome] = (commands[s.labels.method][s.labels.outcome] ?? 0) + s.value;
  }
  const deletes = {};
  for (const s of samples(text, 'sipmesh_media_deletes_total')) deletes[s.labels.deleted] = (deletes[s.labels.deleted] ?? 0) + s.value;
  const ng = { count: 0, sum_s: 0, over_250ms: 0, failed: 0 };
  for (const s of samples(text, 'sipmesh_media_ng_duration_seconds_count')) {
    ng.count += s.value;
    if (s.labels.outcome !== 'ok') ng.failed += s.value;
  }
  for (const s of samples(text, 'sipmesh_media_ng_duration_seconds_sum')) ng.sum_s += s.value;
  let upTo250 = 0;
  for (const s of samples(text, 'sipmesh_media_ng_duration_seconds_bucket')) if (s.labels.le === '0.25') upTo250 += s.value;
  ng.over_250ms = ng.count - upTo250;
  return { commands, deletes, ng };
}

/** Difference of two readMediaMetrics readings. */
export function metricsDelta(a, b) {
  const commands = {};
  for (const method of new Set([...Object.keys(a.commands), ...Object.keys(b.commands)])) {
    commands[method] = {};
    for (const outcome of new Set([...Object.keys(a.commands[method] ?? {}), ...Object.keys(b.commands[method] ?? {})])) {
      const d = (b.commands[method]?.[outcome] ?? 0) - (a.commands[method]?.[outcome] ?? 0);
      if (d !== 0) commands[method][outcome] = d;
    }
  }
  return {
    commands,
    deletes: { true: (b.deletes.true ?? 0) - (a.deletes.true ?? 0), false: (b.deletes.false ?? 0) - (a.deletes.false ?? 0) },
    ng: {
      count: b.ng.count - a.ng.count,
      sum_s: b.ng.sum_s - a.ng.sum_s,
      over_250ms: b.ng.over_250ms - a.ng.over_250ms,
      failed: b.ng.failed - a.ng.failed,
    },
  };
}

/** Calls in media-control's affinity store (admin `media.sessions`). */
export async function affinityCount(adminPort) {
  const r = await fetch(`http://127.0.0.1:${adminPort}/rpc/media.sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"limit":1}' });
  return (await r.json()).count;
}

/** Socket inodes of a process's open file descriptors. */
function socketInodes(pid) {
  const out = new Set();
  let fds;
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * Drop counters (datagrams the kernel discarded for a full receive buffer) of the UDP sockets of
 * `pid` (any port), or of the sockets bound to `port`.
 */
export function udpDrops({ pid, port }) {
  const inodes = pid ? socketInodes(pid) : null;
  return udpSockets()
    .filter((s) => (inodes ? inodes.has(s.inode) : s.port === port))
    .reduce((acc, s) => acc + s.drops, 0);
}
