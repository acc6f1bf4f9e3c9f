/**
 * sipmesh edge as its own process: `node services/edge/dist/main.js [--config edge.yaml]
 * [--nats nats://127.0.0.1:4222] [--listen udp:127.0.0.1:5060,tcp:127.0.0.1:5060] [--set path=value]`.
 */
import {
  connectConfiguredBus,
  createLogger,
  createMetricsRegistry,
  loadConfig,
  parseServiceArgs,
  runService,
  startAdminServer,
  startConfiguredTracing,
  type Stoppable,
} from '@sipmesh/runtime';
import { createEdgeApp } from './app.js';
import { edgeServiceConfigSchema, edgeServiceEnvMap, parseListenList, type EdgeServiceConfig } from './config/edge-service-config.js';

const USAGE = `usage: sipmesh-edge [--config file.yaml] [--nats url] [--listen udp:ip:port,tcp:ip:port] [--id edge1] [--set path=value ...]`;

void runService({
  name: 'edge',
  start: async (): Promise<Stoppable[]> => {
    const args = parseServiceArgs(process.argv.slice(2), { listen: 'listen', id: 'id', policy: 'route.policy' });
    if (args.help) {
      console.log(USAGE);
      return [];
    }
    const listen = (args.overrides['listen'] as string | undefined) ?? process.env['SIPMESH_LISTEN'];
    if (listen !== undefined) args.overrides['listen'] = parseListenList(listen);
    // The loaded config is deep-frozen; the edge only reads it.
    const file = args.configFile ?? process.env['SIPMESH_EDGE_CONFIG'];
    const config = loadConfig<EdgeServiceConfig>({ schema: edgeServiceConfigSchema, ...(file ? { file } : {}), env: process.env, envMap: edgeServiceEnvMap, overrides: args.overrides }) as EdgeServiceConfig;
    const logger = createLogger({ service: 'edge', level: config.log.level, pretty: config.log.pretty, bindings: { edge: config.id } });
    const tracing = startConfiguredTracing(config.tracing, 'sipmesh-edge', config.id);
    const bus = await connectConfiguredBus(config.nats, `edge-${config.id}`);
    const registry = createMetricsRegistry({ service: 'edge', labels: { instance: config.id } });
    const app = await createEdgeApp({ config, bus, logger, registry, tracing: tracing.enabled });
    const stoppables: Stoppable[] = [
      { name: 'tracing', stop: () => tracing.shutdown() },
      { name: 'bus', stop: () => bus.drain() },
      { name: 'sip', stop: () => app.stop() },
    ];
    if (config.admin.enabled) {
      const admin = await startAdminServer({ host: config.admin.host, port: config.admin.port, registry, ready: () => app.ready() });
      logger.info({ url: admin.url }, 'admin HTTP listening');
      stoppables.push({ name: 'admin', stop: () => admin.close() });
    }
    return stoppables;
  },
});
