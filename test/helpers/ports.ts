/**
 * Ports for end-to-end tests: finding free ones and waiting until a process
 * has bound one.
 *
 *   TEST_PORT_RANGE                         16000-16099, the range test peers use
 *   freePort('udp' | 'tcp' | 'udp+tcp', { range?, alsoFree?, leaseMs? })   -> Promise<number>
 *   freeUdpPort(opts?) / freeTcpPort(opts?)
 *   releasePorts(...ports)                  ends long leases (async)
 *   waitForUdpPort(port, { pid?, timeoutMs?, signal? })  resolves once bound
 *   waitForTcpPort(port, { pid?, timeoutMs?, signal? })  resolves once listening
 *
 * "Free" is read from the kernel socket tables, nothing is bound to find out
 * (no window in which the test itself holds the port). A port handed out is
 * leased for a few seconds (port-leases.ts, shared by every test process on
 * the machine), so two callers do not get the same port before either has
 * bound it; after that the kernel tables alone decide. Readiness is a bound socket, never a sleep; with `pid` the socket
 * must belong to that process or one of its children, so a port someone
 * else already holds does not count as "our peer is ready".
 */
import { isPortLeased, leasePort, releasePortLeases } from './port-leases.js';
import { TCP_STATE_LISTEN, listSockets, socketInodesOfTree, type SocketEntry } from './socket-table.js';

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** The only ports SIP test peers (SIPp, Kamailio, the edge under test) listen on. */
export const TEST_PORT_RANGE: PortRange = Object.freeze({ first: 16000, last: 16099 });

export type PortTransport = 'udp' | 'tcp' | 'udp+tcp';

export interface FreePortOptions {
  readonly range?: PortRange;
  /** Offsets from the port that must be free as well (SIPp -mp binds p and p+2). */
  readonly alsoFree?: readonly number[];
  /**
   * How long the port is withheld from other callers of freePort (default 5 s,
   * enough for a child to bind it). A suite that binds a port only now and
   * then (a UAS port per test) takes Infinity and calls releasePorts() at the end.
   */
  readonly leaseMs?: number;
}

const DEFAULT_LEASE_MS = 5_000;
let cursor = 0;

function busyPorts(entries: readonly SocketEntry[]): Set<number> {
  const busy = new Set<number>();
  for (const e of entries) busy.add(e.localPort);
  return busy;
}

export async function freePort(transport: PortTransport, options: FreePortOptions = {}): Promise<number> {
  const range = options.range ?? TEST_PORT_RANGE;
  const offsets = [0, ...(options.alsoFree ?? [])];
  const [udp, tcp] = await Promise.all([
    transport === 'tcp' ? Promise.resolve([]) : listSockets('udp'),
    transport === 'udp' ? Promise.resolve([]) : listSockets('tcp'),
  ]);
  // A TCP port with only TIME_WAIT entries could be reused, but not every
  // peer sets SO_REUSEADDR: any entry makes it busy.
  const busy = busyPorts([...udp, ...tcp]);
  const until = Date.now() + (options.leaseMs ?? DEFAULT_LEASE_MS);
  const size = range.last - range.first + 1;
  for (let i = 0; i < size; i++) {
    // Rotate the start so a port just released is not handed out again at once.
    const port = range.first + ((cursor + i) % size);
    const candidates = offsets.map((o) => port + o);
    if (candidates.some((p) => p < range.first || p > range.last || busy.has(p))) continue;
    const leased: number[] = [];
    for (const p of candidates) {
      if (await isPortLeased(p)) break;
      if (!(await leasePort(p, until))) break;
      leased.push(p);
    }
    if (leased.length < candidates.length) {
      await releasePortLeases(leased);
      continue;
    }
    cursor = (cursor + i + 1) % size;
    return port;
  }
  throw new Error(
    `no free ${transport} port in ${range.first}-${range.last}` +
      (offsets.length > 1 ? ` with offsets ${offsets.join(',')} also free` : ''),
  );
}

/** Ends this process's leases of the ports (those taken with a long leaseMs). */
export function releasePorts(...ports: readonly number[]): Promise<void> {
  return releasePortLeases(ports);
}

export function freeUdpPort(options?: FreePortOptions): Promise<number> {
  return freePort('udp', options);
}

export function freeTcpPort(options?: FreePortOptions): Promise<number> {
  return freePort('tcp', options);
}

export interface WaitForPortOptions {
  /** The socket must be held by this process or one of its descendants. */
  readonly pid?: number;
  readonly timeoutMs?: number;
  /** Poll period; the default keeps start-up latency low without busy-looping. */
  readonly intervalMs?: number;
  /** Stops waiting (rejects with the signal's reason), e.g. when the process exited. */
  readonly signal?: AbortSignal;
}

async function isBound(protocol: 'udp' | 'tcp', port: number, pid: number | undefined): Promise<boolean> {
  const entries = (await listSockets(protocol)).filter(
    (e) => e.localPort === port && (protocol === 'udp' || e.state === TCP_STATE_LISTEN),
  );
  if (entries.length === 0) return false;
  if (pid === undefined) return true;
  const owned = await socketInodesOfTree(pid);
  return entries.some((e) => owned.has(e.inode));
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function waitForPort(protocol: 'udp' | 'tcp', port: number, options: WaitForPortOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (await isBound(protocol, port, options.pid)) return;
    if (Date.now() >= deadline) {
      const owner = options.pid === undefined ? '' : ` by pid ${options.pid}`;
      const what = protocol === 'udp' ? 'bound' : 'listening';
      throw new Error(`${protocol} port ${port} not ${what}${owner} within ${timeoutMs} ms`);
    }
    await delay(intervalMs, options.signal);
  }
}

export function waitForUdpPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  return waitForPort('udp', port, options);
}

export function waitForTcpPort(port: number, options: WaitForPortOptions = {}): Promise<void> {
  return waitForPort('tcp', port, options);
}
