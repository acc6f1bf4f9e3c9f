/**
 * sipmesh edge as its own process: `node services/edge/dist/main.js [--config edge.yaml]
 * [--nats nats://127.0.0.1:4222] [--listen udp:127.0.0.1:5060,tcp:127.0.0.1:5060] [--set path=value]`.
 */
import { runBusService } from '@sipmesh/runtime';
import { createEdgeApp } from './app.js';
import { edgeServiceConfigSchema, edgeServiceEnvMap, parseListenList, type EdgeServiceConfig } from './config/edge-service-config.js';

void runBusService<EdgeServiceConfig, Awaited<ReturnType<typeof createEdgeApp>>>({
  name: 'edge',
  usage: 'usage: sipmesh-edge [--config file.yaml] [--nats url] [--listen udp:ip:port,tcp:ip:port] [--id edge1] [--set path=value ...]',
  flags: { listen: 'listen', policy: 'route.policy' },
  prepare: (overrides) => {
    const listen = (overrides['listen'] as string | undefined) ?? process.env['SIPMESH_LISTEN'];
    if (listen !== undefined) overrides['listen'] = parseListenList(listen);
  },
  configEnv: 'SIPMESH_EDGE_CONFIG',
  schema: edgeServiceConfigSchema,
  envMap: edgeServiceEnvMap,
  create: (parts) => createEdgeApp(parts),
  // SIP stops first; then the bus drains, taking the last events with it
  appName: 'sip',
  stopFirst: 'app',
  stop: (app) => app.stop(),
  ready: (app) => app.ready(),
});
