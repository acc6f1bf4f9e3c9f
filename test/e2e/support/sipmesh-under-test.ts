/**
 * Starts sipmesh for an end-to-end test in one of its two modes:
 *
 * - `nats`: the edge and the router(s) as separate processes (their built `dist/main.js`) over the
 *   real NATS at 127.0.0.1:4222; several routers share the queue group.
 * - `local`: the embedded launcher's code path in this process, on an in-process bus the test
 *   can also use.
 *
 * Every start gets its own edge id and policy name, so suites sharing one NATS server never
 * answer each other's route requests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectNatsBus, LocalBus, type Bus, type Stoppable } from '@sipmesh/runtime';
import { startEmbedded } from '@sipmesh/sipmesh';
import { freePort, freeTcpPort, waitForTcpPort, waitForUdpPort } from '../../helpers/ports.js';

export type BusMode = 'nats' | 'local';
export const NATS_URL = 'nats://127.0.0.1:4222';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RoutesDoc {
  dispatcher?: { inline?: string; probing?: Record<string, unknown>; table?: string };
  rules: Record<string, unknown>[];
  /** Steps of the policy under test, instead of `rules`. */
  steps?: Record<string, unknown>[];
  /** Another policy of the same file that shadows the one under test. */
  shadow?: string;
  /** More policies in the same routes file, by name. */
  others?: Record<string, { rules: Record<string, unknown>[]; shadow?: string }>;
}

export interface StartOptions {
  mode: BusMode;
  /** Rules of the policy under test. */
  routes: RoutesDoc;
  /** Extra edge settings (dotted paths). */
  edge?: Record<string, unknown>;
  /** Extra router settings (dotted paths), e.g. database.url. */
  router?: Record<string, unknown>;
  /** Routers to start (nats mode); 0 runs the edge alone. */
  routers?: number;
  /** Policy the edge asks (default: the one the routers serve). */
  edgePolicy?: string;
  /** Write spans of every process to this JSON-lines file. */
  traceFile?: string;
  /** The name of the policy the routers serve (default: a unique one). */
  policyName?: string;
  /** Registrar settings (dotted paths); embedded mode always runs one, nats mode when this is given. */
  registrar?: Record<string, unknown>;
  /** Registrar processes to start (nats mode; default 1 when `registrar` is given). */
  registrars?: number;
  /** Extra edges (nats mode), each with its own SIP port, sharing the routers and registrars. */
  extraEdges?: number;
  /** NATS server of the nats mode (default the shared one, NATS_URL). */
  natsUrl?: string;
  /**
   * media-control settings (dotted paths, e.g. `rtpengine.sock`): embedded mode runs it in
   * process, nats mode as a process. Its queue group is shared by every media-control on the
   * server: give such a suite its own NATS server (`natsUrl`).
   */
  media?: Record<string, unknown>;
}

export interface SipmeshUnderTest {
  readonly mode: BusMode;
  readonly sipPort: number;
  readonly adminPort: number;
  readonly policy: string;
  readonly edgeId: string;
  /** Embedded mode: where the accounting files go. */
  readonly accountingDir?: string;
  /** A bus on which the test can act (the in-process bus, or its own NATS connection). */
  readonly bus: Bus;
  /** Router processes (nats mode), to kill in fault tests. */
  readonly routers: ChildProcess[];
  metrics(): Promise<Map<string, number>>;
  /** Metrics of each router process (nats mode); embedded mode shares the edge's registry. */
  routerMetrics(): Promise<Map<string, number>[]>;
  /** Admin HTTP ports of the routers (embedded mode: the one admin server). */
  readonly routerAdminPorts: readonly number[];
  /** Registrar processes (nats mode), to restart in fault tests, and their admin ports. */
  readonly registrars: ChildProcess[];
  readonly registrarAdminPorts: readonly number[];
  /** Starts one more registrar process (nats mode) with the suite's registrar settings. */
  startRegistrar(): Promise<ChildProcess>;
  /** SIP ports of the extra edges (nats mode), and their processes. */
  readonly extraEdgePorts: readonly number[];
  readonly edges: ChildProcess[];
  /** Stops the (first) edge (SIGTERM, or SIGKILL with `kill`) and starts it again. */
  restartEdge(options?: { kill?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

let counter = 0;
function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}${process.pid.toString(36)}x${counter}x${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function startSipmesh(opts: StartOptions): Promise<SipmeshUnderTest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-e2e-'));
  const policy = opts.policyName ?? uniqueName('p');
  const edgeId = uniqueName('e');
  const routesFile = path.join(dir, 'routes.json');
  const main = { ...(opts.routes.steps ? { steps: opts.routes.steps } : { rules: opts.routes.rules }), ...(opts.routes.shadow ? { shadow: opts.routes.shadow } : {}) };
  writeFileSync(routesFile, JSON.stringify({ ...(opts.routes.dispatcher ? { dispatcher: opts.routes.dispatcher } : {}), policies: { [policy]: main, ...opts.routes.others } }));
  const sipPort = await freePort('udp+tcp');
  const adminPort = await freeTcpPort();
  const edgeSettings: Record<string, unknown> = {
    id: edgeId,
    'route.policy': opts.edgePolicy ?? policy,
    'admin.port': adminPort,
    'log.level': 'warn',
    ...opts.edge,
  };
  const listen = `udp:127.0.0.1:${sipPort},tcp:127.0.0.1:${sipPort}`;
  const tracing = opts.traceFile ? { 'tracing.exporter': 'file', 'tracing.filePath': opts.traceFile } : {};

  if (opts.mode === 'local') {
    const bus = new LocalBus();
    const embedded = await startEmbedded({
      edgeConfigFile: undefined,
      routerConfigFile: undefined,
      env: {},
      edgeOverrides: { ...edgeSettings, ...tracing, listen },
      routerOverrides: { routesFile, 'log.level': 'warn', ...opts.router },
      registrarOverrides: { 'log.level': 'warn', ...opts.registrar },
      bus,
      accountingDir: path.join(dir, 'accounting'),
      ...(opts.media ? { media: { configFile: undefined, overrides: { 'affinity.store': 'memory', ...opts.media } } } : {}),
    });
    return {
      mode: 'local',
      accountingDir: path.join(dir, 'accounting'),
      sipPort,
      adminPort,
      policy,
      edgeId,
      bus,
      routers: [],
      metrics: () => scrape(adminPort),
      routerMetrics: async () => [await scrape(adminPort)],
      routerAdminPorts: [adminPort],
      registrars: [],
      registrarAdminPorts: [adminPort],
      startRegistrar: () => Promise.reject(new Error('embedded mode runs its registrar in process')),
      extraEdgePorts: [],
      edges: [],
      restartEdge: () => Promise.reject(new Error('embedded mode has no edge process')),
      stop: async () => {
        await stopAll(embedded.stoppables);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  const children: ChildProcess[] = [];
  const routers: ChildProcess[] = [];
  const routerAdminPorts: number[] = [];
  const natsUrl = opts.natsUrl ?? NATS_URL;
  const bus = await connectNatsBus({ servers: natsUrl, name: `test-${edgeId}` });
  const start = (script: string, args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [path.join(repo, script), '--nats', natsUrl, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NATS_URL: '' } });
    children.push(child);
    return child;
  };
  const setArgs = (settings: Record<string, unknown>): string[] => Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
  for (let i = 0; i < (opts.routers ?? 1); i++) {
    const routerAdmin = await freeTcpPort();
    routerAdminPorts.push(routerAdmin);
    routers.push(start('services/router/dist/main.js', ['--routes', routesFile, ...setArgs({ id: `${edgeId}r${i}`, 'admin.port': routerAdmin, 'log.level': 'warn', ...tracing, ...opts.router })]));
    await waitForTcpPort(routerAdmin, { timeoutMs: 15_000 });
  }
  if ((opts.routers ?? 1) > 0) await waitForPolicy(bus, policy);
  const registrars: ChildProcess[] = [];
  const registrarAdminPorts: number[] = [];
  const startRegistrar = async (): Promise<ChildProcess> => {
    const registrarAdmin = await freeTcpPort();
    registrarAdminPorts.push(registrarAdmin);
    const child = start('services/registrar/dist/main.js', setArgs({ id: `${edgeId}g${registrars.length}`, 'admin.port': registrarAdmin, 'log.level': 'warn', ...tracing, ...opts.registrar }));
    registrars.push(child);
    await waitForTcpPort(registrarAdmin, { timeoutMs: 15_000 });
    return child;
  };
  for (let i = 0; i < (opts.registrars ?? (opts.registrar ? 1 : 0)); i++) await startRegistrar();
  if (opts.media) {
    const mediaAdmin = await freeTcpPort();
    start('services/media-control/dist/main.js', setArgs({ id: `${edgeId}m`, 'admin.port': mediaAdmin, 'log.level': 'warn', 'affinity.store': 'memory', ...tracing, ...opts.media }));
    await waitForTcpPort(mediaAdmin, { timeoutMs: 15_000 });
  }
  const edges: ChildProcess[] = [];
  const startEdge = async (id: string, port: number, admin: number): Promise<void> => {
    edges.push(start('services/edge/dist/main.js', ['--listen', `udp:127.0.0.1:${port},tcp:127.0.0.1:${port}`, ...setArgs({ ...edgeSettings, id, 'admin.port': admin, ...tracing })]));
    await waitForUdpPort(port, { timeoutMs: 15_000 });
    await waitForTcpPort(admin, { timeoutMs: 15_000 });
  };
  await startEdge(edgeId, sipPort, adminPort);
  const extraEdgePorts: number[] = [];
  for (let i = 0; i < (opts.extraEdges ?? 0); i++) {
    const port = await freePort('udp+tcp');
    extraEdgePorts.push(port);
    await startEdge(`${edgeId}x${i}`, port, await freeTcpPort());
  }
  return {
    mode: 'nats',
    sipPort,
    adminPort,
    policy,
    edgeId,
    bus,
    routers,
    metrics: () => scrape(adminPort),
    routerMetrics: () => Promise.all(routerAdminPorts.map((p) => scrape(p))),
    routerAdminPorts,
    registrars,
    registrarAdminPorts,
    startRegistrar,
    extraEdgePorts,
    edges,
    restartEdge: async (o) => {
      const old = edges[0];
      if (old) await terminate(old, o?.kill === true ? 'SIGKILL' : 'SIGTERM');
      edges.shift();
      await startEdge(edgeId, sipPort, adminPort);
      // keep the restarted edge first
      const again = edges.pop();
      if (again) edges.unshift(again);
    },
    stop: async () => {
      await Promise.all(children.map((c) => terminate(c)));
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until a router answers on the policy subject (its subscription reached the server). */
export async function waitForPolicy(bus: Bus, policy: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await bus.request(`sipmesh.route.v1.${policy}`, new TextEncoder().encode('{}'), { timeoutMs: 500 });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`no router answers on policy ${policy}: ${(e as Error).message}`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stopAll(stoppables: readonly Stoppable[]): Promise<void> {
  for (const s of [...stoppables].reverse()) await s.stop();
}

function terminate(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

/** Prometheus text → name{labels} without labels → value (counters summed over label sets). */
export async function scrape(adminPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    out.set(m[1] as string, (out.get(m[1] as string) ?? 0) + Number(m[3]));
  }
  return out;
}
