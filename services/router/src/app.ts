/**
 * Builds a running router: loads the routes file, serves its policies on the bus, reloads on
 * request keeping the old policies when the new file is wrong.
 */
import { trace } from '@opentelemetry/api';
import { createValidators } from '@sipmesh/contracts';
import { declareMetrics, type Bus, type Logger } from '@sipmesh/runtime';
import type { Registry } from 'prom-client';
import { loadRoutesFile } from './policy/static/load-routes-file.js';
import { RouteService } from './service/route-service.js';

export interface RouterAppOptions {
  routesFile: string;
  validateRequests: boolean;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  tracing: boolean;
}

export interface RouterApp {
  readonly service: RouteService;
  /** Loads the routes file again; on any error the running policies stay. */
  reload(): Promise<{ ok: true; policies: string[] } | { ok: false; errors: string[] }>;
  stop(): void;
}

export async function createRouterApp(options: RouterAppOptions): Promise<RouterApp> {
  const { logger } = options;
  const validators = createValidators();
  const metrics = declareMetrics(options.registry, {
    sipmesh_router_decisions_total: { type: 'counter', help: 'Route requests answered, by policy and outcome', labelNames: ['policy', 'outcome'] },
    sipmesh_router_reloads_total: { type: 'counter', help: 'Routes file loads, by result', labelNames: ['result'] },
  });
  const service = new RouteService(
    options.bus,
    validators,
    { decided: (policy, outcome) => metrics.sipmesh_router_decisions_total.inc({ policy, outcome }) },
    logger,
    options.tracing ? trace.getTracer('sipmesh-router') : undefined,
    options.validateRequests,
  );
  const load = async (): Promise<{ ok: true; policies: string[] } | { ok: false; errors: string[] }> => {
    const loaded = await loadRoutesFile(options.routesFile, validators);
    if (!loaded.ok) {
      metrics.sipmesh_router_reloads_total.inc({ result: 'error' });
      logger.error({ file: options.routesFile, errors: loaded.errors }, 'routes file rejected; keeping the running policies');
      return loaded;
    }
    service.setPolicies(loaded.policies);
    metrics.sipmesh_router_reloads_total.inc({ result: 'ok' });
    logger.info({ file: options.routesFile, policies: [...loaded.policies.keys()], dispatcherSets: loaded.sets.size }, 'routes loaded');
    return { ok: true, policies: [...loaded.policies.keys()] };
  };
  const first = await load();
  if (!first.ok) throw new Error(`routes file ${options.routesFile}:\n  ${first.errors.join('\n  ')}`);
  return { service, reload: load, stop: () => service.stop() };
}
