/**
 * CPU and socket counters of this Linux machine, read from /proc and the root cgroup, the same
 * sources as the anchor harness (lib.sh): per process utime+stime from /proc/<pid>/stat (clock
 * ticks, all threads), the whole machine from the root cgroup's CPU usage (exact; /proc/stat
 * under-counts bursty load in this VM), CPU pressure from /proc/pressure/cpu, and UDP drop
 * counters from /proc/net/udp and /proc/net/snmp.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck;
/** Clock ticks per second of the stat counters (USER_HZ). */
export function clockTicksPerSecond() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Fields of /proc/<pid>/stat after "(comm) ": [0] = state, [1] = ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** utime + stime of one process in ticks (0 when it is gone). */
export function processTicks(pid) {
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : 0;
}

/**
 * Context switches of one process so far, over all its threads (/proc/<pid>/task/<tid>/status):
 * voluntary (it waited: each wake-up for a message) and involuntary (preempted). Zeros when gone.
 */
export function processSwitches(pid) {
  let voluntary = 0;
  let involuntary = 0;
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { voluntary, involuntary };
  }
  for (const tid of tasks) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
    } catch {
      continue; // the thread ended meanwhile
    }
    voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    involuntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return { voluntary, involuntary };
}

/** Sum of processTicks over PIDs. */
export function ticksOf(pids) {
  let sum = 0;
  for (const pid of pids) sum += processTicks(pid);
  return sum;
}

/** cutime + cstime: CPU of the children this process has waited for, in ticks. */
export function reapedChildrenTicks(pid) {
  const f = statFields(pid);
  return f ? Number(f[13]) + Number(f[14]) : 0;
}

/** All descendants of a PID (any depth), from the ppid of every process. */
export function descendantsOf(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const f = statFields(name);
    if (!f) continue;
    const ppid = Number(f[1]);
    let list = children.get(ppid);
    if (!list) children.set(ppid, (list = []));
    list.push(Number(name));
  }
  const out = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = /** @type {number} */ (stack.pop());
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** CPU time used by the whole machine so far, in ns (root cgroup v1 or v2; /proc/stat as fallback). */
export function machineCpuNs() {
  try {
    return Number(readFileSync('/sys/fs/cgroup/cpuacct/cpuacct.usage', 'utf8').trim());
  } catch {
    // not cgroup v1
  }
  try {
    const line = readFileSync('/sys/fs/cgroup/cpu.stat', 'utf8').split('\n').find((l) => l.startsWith('usage_usec '));
    if (line) return Number(line.split(' ')[1]) * 1000;
  } catch {
    // no cgroup v2 root either
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const busy = (cpu[0] ?? 0) + (cpu[1] ?? 0) + (cpu[2] ?? 0) + (cpu[5] ?? 0) + (cpu[6] ?? 0) + (cpu[7] ?? 0);
  return (busy * 1e9) / clockTicksPerSecond();
}

/** PSI "some" total of /proc/pressure/cpu in us (0 without PSI). */
export function cpuPressureUs() {
  try {
    const some = readFileSync('/proc/pressure/cpu', 'utf8').split('\n').find((l) => l.startsWith('some '));
    const total = some?.split(' ').find((t) => t.startsWith('total='));
    return total ? Number(total.slice(6)) : 0;
  } catch {
    return 0;
  }
}

/** Bound UDP sockets (IPv4 and IPv6): local port, address (hex as in /proc), the per-socket drop counter and the socket's inode. */
export function udpSockets() {
  const out = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      const local = cols[1] ?? '';
      const colon = local.lastIndexOf(':');
      out.push({ addressHex: local.slice(0, colon), port: parseInt(local.slice(colon + 1), 16), drops: Number(cols[12]), inode: cols[9] ?? '' });
    }
  }
  return out;
}

/** Ports of `ports` that some UDP socket (any address) has bound. */
export function busyUdpPorts(ports) {
  const bound = new Set(udpSockets().map((s) => s.port));
  return ports.filter((p) => bound.has(p));
}

/** Sum of the drop counters of the UDP sockets bound to `port`. */
export function udpDropsOnPort(port) {
  return udpSockets()
    .filter((s) => s.port === port)
    .reduce((acc, s) => acc + s.drops, 0);
}

/** Udp InErrors, RcvbufErrors, SndbufErrors of /proc/net/snmp. */
export function udpErrorCounters() {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const head = (lines[0] ?? '').split(/\s+/);
  const vals = (lines[1] ?? '').split(/\s+/).map(Number);
  const get = (name) => vals[head.indexOf(name)] ?? 0;
  return { inErrors: get('InErrors'), rcvbufErrors: get('RcvbufErrors'), sndbufErrors: get('SndbufErrors') };
}

/** Command lines of running processes whose command line contains `needle` (e.g. "vitest"), except ours. */
export function processesMatching(needle) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57 || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      if (cmd.includes(needle)) out.push({ pid: Number(name), cmd });
    } catch {
      // gone
    }
  }
  return out;
}
