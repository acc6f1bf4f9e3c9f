/**
 * sipmesh registrar as its own process: `node services/registrar/dist/main.js [--config
 * registrar.yaml] [--nats nats://127.0.0.1:4222] [--id registrar1] [--set path=value ...]`.
 * SIGHUP reloads the subscribers.
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
import { createRegistrarApp } from './app.js';
import { mountRegistrarAdmin } from './service/registrar-admin.js';
import { registrarConfigSchema, registrarEnvMap, type RegistrarConfig } from './config/registrar-config.js';

const USAGE = `usage: sipmesh-registrar [--config file.yaml] [--nats url] [--id registrar1] [--set path=value ...]`;

void runService({
  name: 'registrar',
  start: async (): Promise<Stoppable[]> => {
    const args = parseServiceArgs(process.argv.slice(2), { id: 'id' });
    if (args.help) {
      console.log(USAGE);
      return [];
    }
    const file = args.configFile ?? process.env['SIPMESH_REGISTRAR_CONFIG'];
    // The loaded config is deep-frozen; the registrar only reads it.
    const config = loadConfig<RegistrarConfig>({ schema: registrarConfigSchema, ...(file ? { file } : {}), env: process.env, envMap: registrarEnvMap, overrides: args.overrides }) as RegistrarConfig;
    const logger = createLogger({ service: 'registrar', level: config.log.level, pretty: config.log.pretty, bindings: { registrar: config.id } });
    const tracing = startConfiguredTracing(config.tracing, 'sipmesh-registrar', config.id);
    const bus = await connectConfiguredBus(config.nats, `registrar-${config.id}`);
    const registry = createMetricsRegistry({ service: 'registrar', labels: { instance: config.id } });
    const app = await createRegistrarApp({ config, bus, logger, registry, tracing: tracing.enabled });
    const onHup = (): void => void app.reloadSubscribers();
    process.on('SIGHUP', onHup);
    // Stopped in reverse order: the bus drains first, so requests already delivered here are
    // answered; the registrar (timers, stores) stops after.
    const stoppables: Stoppable[] = [
      { name: 'tracing', stop: () => tracing.shutdown() },
      {
        name: 'registrar',
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
        ready: () => app.ready(),
        routes: (express) => mountRegistrarAdmin(express, app, ''),
      });
      logger.info({ url: admin.url }, 'admin HTTP listening');
      stoppables.push({ name: 'admin', stop: () => admin.close() });
    }
    return stoppables;
  },
});
