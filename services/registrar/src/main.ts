/**
 * sipmesh registrar as its own process: `node services/registrar/dist/main.js [--config
 * registrar.yaml] [--nats nats://127.0.0.1:4222] [--id registrar1] [--set path=value ...]`.
 * SIGHUP reloads the subscribers.
 */
import { runBusService } from '@sipmesh/runtime';
import { createRegistrarApp, type RegistrarApp } from './app.js';
import { mountRegistrarAdmin } from './service/registrar-admin.js';
import { registrarConfigSchema, registrarEnvMap, type RegistrarConfig } from './config/registrar-config.js';

void runBusService<RegistrarConfig, RegistrarApp>({
  name: 'registrar',
  usage: 'usage: sipmesh-registrar [--config file.yaml] [--nats url] [--id registrar1] [--set path=value ...]',
  configEnv: 'SIPMESH_REGISTRAR_CONFIG',
  schema: registrarConfigSchema,
  envMap: registrarEnvMap,
  create: (parts) => createRegistrarApp(parts),
  // the bus drains first, so requests already delivered here are answered; timers and stores stop after
  appName: 'registrar',
  stop: (app) => app.stop(),
  onHup: (app) => void app.reloadSubscribers(),
  ready: (app) => app.ready(),
  routes: (express, app) => mountRegistrarAdmin(express, app, ''),
});
