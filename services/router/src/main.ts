/**
 * sipmesh router as its own process: `node services/router/dist/main.js [--config router.yaml]
 * [--nats nats://127.0.0.1:4222] [--routes config/routes.yaml]`. SIGHUP or `POST /reload` on the
 * admin port reloads the routes file without dropping a request.
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
import { createRouterApp } from './app.js';
import { mountRouterAdmin } from './service/router-admin.js';
import { routerConfigSchema, routerEnvMap, type RouterConfig } from './config/router-config.js';

const USAGE = `usage: sipmesh-router [--config file.yaml] [--nats url] [--routes routes.yaml] [--id router1] [--set path=value ...]`;

void runService({
  name: 'router',
  start: async (): Promise<Stoppable[]> => {
    const args = parseServiceArgs(process.argv.slice(2), { routes: 'routesFile', id: 'id' });
    if (args.help) {
      console.log(USAGE);
      return [];
    }
    const file = args.configFile ?? process.env['SIPMESH_ROUTER_CONFIG'];
    // The loaded config is deep-frozen; the router only reads it.
    const config = loadConfig<RouterConfig>({ schema: routerConfigSchema, ...(file ? { file } : {}), env: process.env, envMap: routerEnvMap, overrides: args.overrides }) as RouterConfig;
    const logger = createLogger({ service: 'router', level: config.log.level, pretty: config.log.pretty, bindings: { router: config.id } });
    const tracing = startConfiguredTracing(config.tracing, 'sipmesh-router', config.id);
    const bus = await connectConfiguredBus(config.nats, `router-${config.id}`);
    const registry = createMetricsRegistry({ service: 'router', labels: { instance: config.id } });
    const app = await createRouterApp({ id: config.id, database: config.database, routesFile: config.routesFile, validateRequests: config.validateRequests, calls: config.calls, bus, logger, registry, tracing: tracing.enabled });
    const onHup = (): void => void app.reload();
    process.on('SIGHUP', onHup);
    // Stopped in reverse order: the bus drains first, so route requests already delivered to this
    // router are answered by the running policies (a hot swap loses none); the policies stop after.
    const stoppables: Stoppable[] = [
      { name: 'tracing', stop: () => tracing.shutdown() },
      {
        name: 'policies',
        stop: async () => {
          process.off('SIGHUP', onHup);
          await app.stop();
        },
      },
      { name: 'bus', stop: () => bus.drain() },
    ];
    if (config.admin.enabled) {
      const admin = await startAdminServer({
        host: config.admin.host,
        port: config.admin.port,
        registry,
        ready: () => (bus.status === 'connected' ? { ready: true, reasons: [] } : { ready: false, reasons: [`bus ${bus.status}`] }),
        routes: (express) => mountRouterAdmin(express, app),
      });
      logger.info({ url: admin.url }, 'admin HTTP listening');
      stoppables.push({ name: 'admin', stop: () => admin.close() });
    }
    return stoppables;
  },
});
