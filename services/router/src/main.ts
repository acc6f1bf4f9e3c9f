/**
 * sipmesh router as its own process: `node services/router/dist/main.js [--config router.yaml]
 * [--nats nats://127.0.0.1:4222] [--routes config/routes.yaml]`. SIGHUP or `POST /reload` on the
 * admin port reloads the routes file without dropping a request.
 */
import { runBusService } from '@sipmesh/runtime';
import { createRouterApp } from './app.js';
import { mountRouterAdmin } from './service/router-admin.js';
import { routerConfigSchema, routerEnvMap, type RouterConfig } from './config/router-config.js';

void runBusService<RouterConfig, Awaited<ReturnType<typeof createRouterApp>>>({
  name: 'router',
  usage: 'usage: sipmesh-router [--config file.yaml] [--nats url] [--routes routes.yaml] [--id router1] [--set path=value ...]',
  flags: { routes: 'routesFile' },
  configEnv: 'SIPMESH_ROUTER_CONFIG',
  schema: routerConfigSchema,
  envMap: routerEnvMap,
  create: ({ config, bus, logger, registry, tracing }) =>
    createRouterApp({ id: config.id, database: config.database, routesFile: config.routesFile, validateRequests: config.validateRequests, calls: config.calls, bus, logger, registry, tracing }),
  // the bus drains first: route requests already delivered to this router are answered by the
  // running policies (a hot swap loses none); the policies stop after
  appName: 'policies',
  stop: (app) => app.stop(),
  onHup: (app) => void app.reload(),
  ready: (_app, bus) => (bus.status === 'connected' ? { ready: true, reasons: [] } : { ready: false, reasons: [`bus ${bus.status}`] }),
  routes: (express, app) => mountRouterAdmin(express, app),
});
