/**
 * sipmesh media-control as its own process: `node services/media-control/dist/main.js
 * [--config media.yaml] [--nats nats://127.0.0.1:4222] [--id media1]
 * [--rtpengine "udp:10.0.0.1:2223=2 udp:10.0.0.2:2223"] [--set path=value ...]`.
 * SIGHUP runs a health round at once (after an rtpengine was restarted by hand).
 */
import { mountAdminCommands, runBusService } from '@sipmesh/runtime';
import { createMediaControlApp } from './app.js';
import { mediaConfigSchema, mediaEnvMap, type MediaConfig } from './config/media-config.js';
import { ADMIN_COMMANDS } from './service/admin-commands.js';

void runBusService<MediaConfig, Awaited<ReturnType<typeof createMediaControlApp>>>({
  name: 'media-control',
  short: 'media',
  usage: 'usage: sipmesh-media-control [--config file.yaml] [--nats url] [--id media1] [--rtpengine "udp:host:port[=weight] ..."] [--set path=value ...]',
  flags: { rtpengine: 'rtpengine.sock' },
  configEnv: 'SIPMESH_MEDIA_CONFIG',
  schema: mediaConfigSchema,
  envMap: mediaEnvMap,
  create: (parts) => createMediaControlApp(parts),
  // the bus drains first, so commands already delivered here are answered; the ng client, health
  // timer and Redis go after
  appName: 'media-control',
  stop: (app) => app.stop(),
  onHup: (app) => void app.ping(),
  ready: (app) => app.ready(),
  routes: (express, app) => mountAdminCommands(express, ADMIN_COMMANDS, app, 'MEDIA_ERR'),
});
