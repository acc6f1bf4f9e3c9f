/**
 * `sipmesh` — starts everything. Without NATS (the default) every service runs in this process on
 * the in-process bus. With `--nats <url>` or NATS_URL the edge, the router and the registrar run
 * as separate processes over NATS, supervised here: signals are passed on, and if one exits the
 * others are stopped too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runService, type Stoppable } from '@sipmesh/runtime';
import { startEmbedded } from './embedded.js';

const USAGE = `usage: sipmesh [--nats url] [--listen udp:127.0.0.1:5060,tcp:127.0.0.1:5060] [--routes config/routes.yaml]
               [--edge-config edge.yaml] [--router-config router.yaml] [--registrar-config registrar.yaml]
               [--set edge.path=value] [--set router.path=value] [--set registrar.path=value]
               [--accounting-dir var/accounting] [--accounting-db postgres://...]
               [--rtpengine "udp:127.0.0.1:2223 ..."] [--media-config media.yaml] [--set media.path=value]

Embedded (default): edge, router and registrar in this process on the in-process bus; acc,
missed_calls and CDRs as JSON lines in --accounting-dir ('' for none).
Distributed (--nats or NATS_URL): edge, router and registrar as separate processes over NATS,
and the accounting service when --accounting-db (or SIPMESH_ACCOUNTING_DATABASE_URL) names its
PostgreSQL.
Media anchoring (both modes): media-control runs when --rtpengine (or SIPMESH_RTPENGINE_SOCK) or
--media-config names the rtpengine instances; route rules with media: use it.`;

interface LauncherArgs {
  nats: string | undefined;
  edgeConfig: string | undefined;
  routerConfig: string | undefined;
  registrarConfig: string | undefined;
  edge: Record<string, unknown>;
  router: Record<string, unknown>;
  registrar: Record<string, unknown>;
  accountingDir: string | undefined;
  accountingDb: string | undefined;
  mediaConfig: string | undefined;
  media: Record<string, unknown>;
  help: boolean;
}

function parseArgs(argv: readonly string[]): LauncherArgs {
  const out: LauncherArgs = { nats: undefined, edgeConfig: undefined, routerConfig: undefined, registrarConfig: undefined, edge: {}, router: {}, registrar: {}, accountingDir: undefined, accountingDb: undefined, mediaConfig: undefined, media: {}, help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag ?? ''} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        out.help = true;
        break;
      case '--nats':
        out.nats = value();
        break;
      case '--listen':
        out.edge['listen'] = value();
        break;
      case '--routes':
        out.router['routesFile'] = value();
        break;
      case '--edge-config':
        out.edgeConfig = value();
        break;
      case '--router-config':
        out.routerConfig = value();
        break;
      case '--registrar-config':
        out.registrarConfig = value();
        break;
      case '--accounting-dir':
        out.accountingDir = value();
        break;
      case '--accounting-db':
        out.accountingDb = value();
        break;
      case '--rtpengine':
        out.media['rtpengine.sock'] = value();
        break;
      case '--media-config':
        out.mediaConfig = value();
        break;
      case '--set': {
        const v = value();
        const m = /^(edge|router|registrar|media)\.([^=]+)=(.*)$/.exec(v);
        if (!m) throw new Error(`--set expects edge.<path>=<value>, router.<path>=<value>, registrar.<path>=<value> or media.<path>=<value>, got "${v}"`);
        out[m[1] as 'edge' | 'router' | 'registrar' | 'media'][m[2] as string] = m[3];
        break;
      }
      default:
        throw new Error(`unknown argument "${flag ?? ''}"\n${USAGE}`);
    }
  }
  return out;
}

/** media-control runs when something names rtpengine instances. */
function wantsMedia(args: LauncherArgs): boolean {
  return args.media['rtpengine.sock'] !== undefined || args.mediaConfig !== undefined || !!process.env['SIPMESH_RTPENGINE_SOCK'] || !!process.env['SIPMESH_MEDIA_CONFIG'];
}

function childArgs(config: string | undefined, overrides: Record<string, unknown>, nats: string): string[] {
  const args = ['--nats', nats];
  if (config) args.push('--config', config);
  for (const [k, v] of Object.entries(overrides)) args.push('--set', `${k}=${String(v)}`);
  return args;
}

async function startDistributed(args: LauncherArgs, nats: string): Promise<Stoppable[]> {
  // Each service package's entry point sits next to its index in dist/.
  const entry = (pkg: string): string => fileURLToPath(new URL('./main.js', import.meta.resolve(pkg)));
  const children: { name: string; proc: ChildProcess }[] = [];
  let stopping = false;
  const start = (name: string, script: string, argv: string[]): void => {
    const proc = spawn(process.execPath, [script, ...argv], { stdio: 'inherit', env: process.env });
    proc.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`sipmesh: ${name} exited (${signal ?? String(code)}); stopping`);
      stopping = true;
      for (const c of children) if (c.proc !== proc) c.proc.kill('SIGTERM');
      process.exitCode = 1;
    });
    children.push({ name, proc });
  };
  start('router', entry('@sipmesh/router'), childArgs(args.routerConfig, args.router, nats));
  start('registrar', entry('@sipmesh/registrar'), childArgs(args.registrarConfig, args.registrar, nats));
  const accountingDb = args.accountingDb ?? process.env['SIPMESH_ACCOUNTING_DATABASE_URL'];
  if (accountingDb) start('accounting', entry('@sipmesh/accounting'), childArgs(undefined, { 'database.url': accountingDb }, nats));
  if (wantsMedia(args)) start('media-control', entry('@sipmesh/media-control'), childArgs(args.mediaConfig ?? process.env['SIPMESH_MEDIA_CONFIG'], args.media, nats));
  start('edge', entry('@sipmesh/edge'), childArgs(args.edgeConfig, args.edge, nats));
  return children.map(({ name, proc }) => ({
    name,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  }));
}

void runService({
  name: 'sipmesh',
  start: async (): Promise<Stoppable[]> => {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
      console.log(USAGE);
      return [];
    }
    const nats = args.nats ?? process.env['NATS_URL'];
    if (nats) return startDistributed(args, nats);
    const embedded = await startEmbedded({
      edgeConfigFile: args.edgeConfig ?? process.env['SIPMESH_EDGE_CONFIG'],
      routerConfigFile: args.routerConfig ?? process.env['SIPMESH_ROUTER_CONFIG'],
      registrarConfigFile: args.registrarConfig ?? process.env['SIPMESH_REGISTRAR_CONFIG'],
      env: process.env,
      edgeOverrides: args.edge,
      routerOverrides: args.router,
      registrarOverrides: args.registrar,
      ...(args.accountingDir !== undefined ? { accountingDir: args.accountingDir } : {}),
      ...(wantsMedia(args) ? { media: { configFile: args.mediaConfig ?? process.env['SIPMESH_MEDIA_CONFIG'], overrides: args.media } } : {}),
    });
    return embedded.stoppables;
  },
});
