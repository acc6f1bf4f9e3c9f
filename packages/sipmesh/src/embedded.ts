/**
 * Embedded mode (DESIGN §5): edge, router and registrar in one process on the in-process bus, one
 * admin server, one metrics registry, and accounting into files (acc, missed_calls, one CDR per
 * call). The same application code runs as in the distributed mode; only the bus and the stores
 * differ.
 */
import express, { type Express } from 'express';
import { FileAccounting } from '@sipmesh/accounting';
import { ADMIN_COMMANDS as MEDIA_ADMIN_COMMANDS, createMediaControlApp, mediaConfigSchema, mediaEnvMap, type MediaConfig, type MediaControlApp } from '@sipmesh/media-control';
import { createEdgeApp, edgeServiceConfigSchema, edgeServiceEnvMap, parseListenList, type EdgeApp, type EdgeServiceConfig } from '@sipmesh/edge';
import { createRouterApp, mountRouterAdmin, routerConfigSchema, routerEnvMap, type RouterApp, type RouterConfig } from '@sipmesh/router';
import { createRegistrarApp, mountRegistrarAdmin, registrarConfigSchema, registrarEnvMap, type RegistrarApp, type RegistrarConfig } from '@sipmesh/registrar';
import { createLogger, createMetricsRegistry, LocalBus, loadConfig, mountAdminCommands, startAdminServer, startConfiguredTracing, type AdminServer, type Logger, type Stoppable } from '@sipmesh/runtime';

export interface EmbeddedOptions {
  edgeConfigFile: string | undefined;
  routerConfigFile: string | undefined;
  registrarConfigFile?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** Dotted settings for the edge (`listen`, `route.policy`, ...). */
  edgeOverrides: Record<string, unknown>;
  /** Dotted settings for the router (`routesFile`, ...). */
  routerOverrides: Record<string, unknown>;
  /** Dotted settings for the registrar (`auth.credentials.file`, ...). */
  registrarOverrides?: Record<string, unknown>;
  /** The in-process bus to run on; a new one by default. Another component (a test, a plug-in) may share it. */
  bus?: LocalBus;
  /** Directory of the accounting files (JSON lines, daily); '' writes none. Default `var/accounting`. */
  accountingDir?: string;
  /** media-control in this process (rtpengine through the ng protocol): its config file and dotted settings (`rtpengine.sock`). */
  media?: { configFile: string | undefined; overrides: Record<string, unknown> };
}

export interface EmbeddedSipmesh {
  readonly edge: EdgeApp;
  readonly router: RouterApp;
  readonly registrar: RegistrarApp;
  readonly admin: AdminServer | undefined;
  readonly accounting: FileAccounting | undefined;
  readonly media: MediaControlApp | undefined;
  readonly logger: Logger;
  readonly stoppables: Stoppable[];
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedSipmesh> {
  const edgeOverrides = { ...options.edgeOverrides };
  const listen = (edgeOverrides['listen'] as string | undefined) ?? options.env['SIPMESH_LISTEN'];
  if (typeof listen === 'string') edgeOverrides['listen'] = parseListenList(listen);
  // Loaded configs are deep-frozen; the services only read them.
  const edgeConfig = loadConfig<EdgeServiceConfig>({
    schema: edgeServiceConfigSchema,
    ...(options.edgeConfigFile ? { file: options.edgeConfigFile } : {}),
    env: options.env,
    envMap: edgeServiceEnvMap,
    overrides: edgeOverrides,
  }) as EdgeServiceConfig;
  const routerConfig = loadConfig<RouterConfig>({
    schema: routerConfigSchema,
    ...(options.routerConfigFile ? { file: options.routerConfigFile } : {}),
    env: options.env,
    envMap: routerEnvMap,
    overrides: options.routerOverrides,
  }) as RouterConfig;
  const registrarConfig = loadConfig<RegistrarConfig>({
    schema: registrarConfigSchema,
    ...(options.registrarConfigFile ? { file: options.registrarConfigFile } : {}),
    env: options.env,
    envMap: registrarEnvMap,
    overrides: options.registrarOverrides ?? {},
  }) as RegistrarConfig;

  const logger = createLogger({ service: 'sipmesh', level: edgeConfig.log.level, pretty: edgeConfig.log.pretty, bindings: { mode: 'embedded' } });
  const tracing = startConfiguredTracing(edgeConfig.tracing, 'sipmesh', edgeConfig.id);
  const bus = options.bus ?? new LocalBus({ onHandlerError: (err, subject) => logger.error({ err, subject }, 'bus handler failed') });
  const registry = createMetricsRegistry({ service: 'sipmesh', labels: { instance: edgeConfig.id } });
  const router = await createRouterApp({ id: routerConfig.id, database: routerConfig.database, routesFile: routerConfig.routesFile, validateRequests: routerConfig.validateRequests, calls: routerConfig.calls, bus, logger: logger.child({ component: 'router' }), registry, tracing: tracing.enabled });
  const registrar = await createRegistrarApp({ config: registrarConfig, bus, logger: logger.child({ component: 'registrar' }), registry, tracing: tracing.enabled });
  const accountingDir = options.accountingDir ?? options.env['SIPMESH_ACCOUNTING_DIR'] ?? 'var/accounting';
  // Accounting listens before the edge starts, so the first call's events are not missed.
  const accounting = accountingDir === '' ? undefined : new FileAccounting({ dir: accountingDir, bus, logger: logger.child({ component: 'accounting' }), slots: router.calls });
  accounting?.start();
  let media: MediaControlApp | undefined;
  if (options.media) {
    const mediaConfig = loadConfig<MediaConfig>({
      schema: mediaConfigSchema,
      ...(options.media.configFile ? { file: options.media.configFile } : {}),
      env: options.env,
      envMap: mediaEnvMap,
      overrides: options.media.overrides,
    }) as MediaConfig;
    media = await createMediaControlApp({ config: mediaConfig, bus, logger: logger.child({ component: 'media-control' }), registry, tracing: tracing.enabled });
  }
  const edge = await createEdgeApp({ config: edgeConfig, bus, logger: logger.child({ component: 'edge' }), registry, tracing: tracing.enabled });
  const stoppables: Stoppable[] = [
    { name: 'tracing', stop: () => tracing.shutdown() },
    ...(accounting ? [{ name: 'accounting', stop: () => accounting.stop() }] : []),
    { name: 'bus', stop: () => bus.drain() },
    { name: 'router', stop: () => router.stop() },
    { name: 'registrar', stop: () => registrar.stop() },
    ...(media ? [{ name: 'media-control', stop: () => (media as MediaControlApp).stop() }] : []),
    { name: 'sip', stop: () => edge.stop() },
  ];
  let admin: AdminServer | undefined;
  if (edgeConfig.admin.enabled) {
    admin = await startAdminServer({ host: edgeConfig.admin.host, port: edgeConfig.admin.port, registry, ready: () => edge.ready(), routes: (app) => {
        mountRouterAdmin(app, router);
        mountRegistrarAdmin(app, registrar, '/registrar');
        if (media) {
          // media-control's commands under /media, beside the router's and the registrar's
          const mediaAdmin = express.Router();
          mountAdminCommands(mediaAdmin as unknown as Express, MEDIA_ADMIN_COMMANDS, media, 'MEDIA_ERR');
          app.use('/media', mediaAdmin);
        }
      },
    });
    logger.info({ url: admin.url }, 'admin HTTP listening');
    const a = admin;
    stoppables.push({ name: 'admin', stop: () => a.close() });
  }
  logger.info({ listeners: edge.listeners.map((l) => `${l.transport}:${l.ip}:${l.port}`), policies: router.service.policyNames }, 'sipmesh running (embedded)');
  return { edge, router, registrar, admin, accounting, media, logger, stoppables };
}
