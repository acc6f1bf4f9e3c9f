/**
 * sipmesh media-control as its own process: `node services/media-control/dist/main.js
 * [--config media.yaml] [--nats nats://127.0.0.1:4222] [--id media1]
 * [--rtpengine "udp:10.0.0.1:2223=2 udp:10.0.0.2:2223"] [--set path=value ...]`.
 * SIGHUP runs a health round at once (after an rtpengine was restarted by hand).
 */
import {
  connectConfiguredBus,
  createLogger,
  createMetricsRegistry,
  loadConfig,
  mountAdminCommands,
  parseServiceArgs,
  runService,
  startAdminServer,
  startConfiguredTracing,
  type Stoppable,
} from '@sipmesh/runtime';
import { createMediaControlApp } from './app.js';
import { mediaConfigSchema, mediaEnvMap, type MediaConfig } from './config/media-config.js';
import { ADMIN_COMMANDS } from './service/admin-commands.js';

const USAGE = `usage: sipmesh-media-control [--config file.yaml] [--nats url] [--id media1] [--rtpengine "udp:host:port[=weight] ..."] [--set path=value ...]`;

void runService({
  name: 'media-control',
  start: async (): Promise<Stoppable[]> => {
    const args = parseServiceArgs(process.argv.slice(2), { id: 'id', rtpengine: 'rtpengine.sock' });
    if (args.help) {
      console.log(USAGE);
      return [];
    }
    const file = args.configFile ?? process.env['SIPMESH_MEDIA_CONFIG'];
    // The loaded config is deep-frozen; media-control only reads it.
    const config = loadConfig<MediaConfig>({ schema: mediaConfigSchema, ...(file ? { file } : {}), env: process.env, envMap: mediaEnvMap, overrides: args.overrides }) as MediaConfig;
    const logger = createLogger({ service: 'media-control', level: config.log.level, pretty: config.log.pretty, bindings: { media: config.id } });
    const tracing = startConfiguredTracing(config.tracing, 'sipmesh-media-control', config.id);
    const bus = await connectConfiguredBus(config.nats, `media-${config.id}`);
    const registry = createMetricsRegistry({ service: 'media-control', labels: { instance: config.id } });
    const app = await createMediaControlApp({ config, bus, logger, registry, tracing: tracing.enabled });
    const onHup = (): void => void app.ping();
    process.on('SIGHUP', onHup);
    // Stopped in reverse order: the bus drains first, so commands already delivered here are
    // answered; the ng client, health timer and Redis go after.
    const stoppables: Stoppable[] = [
      { name: 'tracing', stop: () => tracing.shutdown() },
      {
        name: 'media-control',
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
        routes: (express) => mountAdminCommands(express, ADMIN_COMMANDS, app, 'MEDIA_ERR'),
      });
      logger.info({ url: admin.url }, 'admin HTTP listening');
      stoppables.push({ name: 'admin', stop: () => admin.close() });
    }
    return stoppables;
  },
});
