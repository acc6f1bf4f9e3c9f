/**
 * The `main.ts` of a service on the bus (edge, router, registrar, media-control): command line,
 * config (file, environment, `--set`), logger, tracing, bus, metrics registry, the service itself,
 * SIGHUP, and the admin HTTP server, run by runService until SIGINT/SIGTERM. Only what differs
 * between services is given: names, the config schema, how to build and stop the service.
 */
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus.js';
import { startAdminServer, type Readiness } from '../admin/admin-server.js';
import type { ConfigSchema } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import { runService, type Stoppable } from '../lifecycle/run-service.js';
import { createLogger, type Logger } from '../logging/create-logger.js';
import { createMetricsRegistry } from '../metrics/metrics-registry.js';
import { parseServiceArgs } from './service-args.js';
import { connectConfiguredBus, startConfiguredTracing, type ServiceConfig } from './service-config.js';

export interface BusServiceParts<C> {
  readonly config: C;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Spans are exported (tracing.exporter is not none). */
  readonly tracing: boolean;
}

export interface BusServiceSpec<C extends ServiceConfig & { id: string }, A> {
  /** `router`: the process's logs and metrics, tracing service `sipmesh-<name>`. */
  readonly name: string;
  /** The log binding and NATS connection name prefix (`<short>-<id>`); default `name`. */
  readonly short?: string;
  readonly usage: string;
  /** Command-line flags of this service → settings (`--routes` → `routesFile`); `--id` is always `id`. */
  readonly flags?: Readonly<Record<string, string>>;
  /** Environment variable naming the config file when `--config` is not given. */
  readonly configEnv: string;
  readonly schema: ConfigSchema;
  readonly envMap: Readonly<Record<string, string>>;
  /** Turns command-line overrides into settings before the config is loaded (the edge's `--listen`). */
  readonly prepare?: (overrides: Record<string, unknown>) => void;
  readonly create: (parts: BusServiceParts<C>) => Promise<A>;
  /** Shown in the stop log. */
  readonly appName: string;
  readonly stop: (app: A) => Promise<void>;
  /**
   * `bus` (default): the bus drains first, so requests already delivered are answered by the
   * running service, which stops after. `app`: the service stops first (the edge ends its SIP
   * work, then its events leave as the bus drains).
   */
  readonly stopFirst?: 'bus' | 'app';
  readonly onHup?: (app: A) => void;
  readonly ready: (app: A, bus: Bus) => Readiness | Promise<Readiness>;
  readonly routes?: (express: Express, app: A) => void;
}

export function runBusService<C extends ServiceConfig & { id: string }, A>(spec: BusServiceSpec<C, A>): Promise<number> {
  const short = spec.short ?? spec.name;
  return runService({
    name: spec.name,
    start: async (): Promise<Stoppable[]> => {
      const args = parseServiceArgs(process.argv.slice(2), { id: 'id', ...spec.flags });
      if (args.help) {
        process.stdout.write(`${spec.usage}\n`);
        return [];
      }
      spec.prepare?.(args.overrides);
      const file = args.configFile ?? process.env[spec.configEnv];
      // The loaded config is deep-frozen; services only read it.
      const config = loadConfig<C>({ schema: spec.schema, ...(file ? { file } : {}), env: process.env, envMap: spec.envMap, overrides: args.overrides }) as C;
      const logger = createLogger({ service: spec.name, level: config.log.level, pretty: config.log.pretty, bindings: { [short]: config.id } });
      const tracing = startConfiguredTracing(config.tracing, `sipmesh-${spec.name}`, config.id);
      const bus = await connectConfiguredBus(config.nats, `${short}-${config.id}`);
      const registry = createMetricsRegistry({ service: spec.name, labels: { instance: config.id } });
      const app = await spec.create({ config, bus, logger, registry, tracing: tracing.enabled });
      const onHup = spec.onHup;
      const hup = onHup ? (): void => onHup(app) : undefined;
      if (hup) process.on('SIGHUP', hup);
      const service: Stoppable = {
        name: spec.appName,
        stop: async () => {
          if (hup) process.off('SIGHUP', hup);
          await spec.stop(app);
        },
      };
      const drain: Stoppable = { name: 'bus', stop: () => bus.drain() };
      // runService stops in reverse order
      const stoppables: Stoppable[] = [{ name: 'tracing', stop: () => tracing.shutdown() }, ...((spec.stopFirst ?? 'bus') === 'bus' ? [service, drain] : [drain, service])];
      if (config.admin.enabled) {
        const routes = spec.routes;
        const admin = await startAdminServer({
          host: config.admin.host,
          port: config.admin.port,
          registry,
          ready: () => spec.ready(app, bus),
          ...(routes ? { routes: (express: Express) => routes(express, app) } : {}),
        });
        logger.info({ url: admin.url }, 'admin HTTP listening');
        stoppables.push({ name: 'admin', stop: () => admin.close() });
      }
      return stoppables;
    },
  });
}
