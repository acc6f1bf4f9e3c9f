/**
 * One prom-client registry per service instance (never the global default registry, so two
 * services embedded in one process keep their metrics apart). Every series carries the
 * `service` label.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsRegistryOptions {
  service: string;
  /** Extra labels on every series, e.g. `{ instance: 'edge-1' }`. */
  labels?: Record<string, string>;
  /** Node process metrics (CPU, memory, event-loop lag, GC). Default true; enable in one registry per process. */
  processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service, ...options.labels });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
