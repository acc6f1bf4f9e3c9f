/**
 * A service declares all its metrics in one table (Prometheus name -> type, help, labels)
 * and gets typed handles back: label names are checked by the compiler at every use.
 *
 *   const metrics = declareMetrics(registry, {
 *     sipmesh_edge_requests_total: { type: 'counter', help: 'SIP requests received', labelNames: ['method'] },
 *   });
 *   metrics.sipmesh_edge_requests_total.inc({ method: 'INVITE' });
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const MetricType = { counter: 'counter', gauge: 'gauge', histogram: 'histogram' } as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

interface MetricSpecBase {
  readonly help: string;
  readonly labelNames?: readonly string[];
}
export interface CounterSpec extends MetricSpecBase {
  readonly type: 'counter';
}
export interface GaugeSpec extends MetricSpecBase {
  readonly type: 'gauge';
}
export interface HistogramSpec extends MetricSpecBase {
  readonly type: 'histogram';
  /** Upper bounds, in the metric's unit (seconds for `_seconds` metrics). */
  readonly buckets?: readonly number[];
}
export type MetricSpec = CounterSpec | GaugeSpec | HistogramSpec;
export type MetricTable = Readonly<Record<string, MetricSpec>>;

type LabelsOf<S> = S extends { readonly labelNames: readonly (infer L extends string)[] } ? L : string;

export type DeclaredMetrics<T extends MetricTable> = {
  readonly [K in keyof T]: T[K] extends CounterSpec
    ? Counter<LabelsOf<T[K]>>
    : T[K] extends GaugeSpec
      ? Gauge<LabelsOf<T[K]>>
      : Histogram<LabelsOf<T[K]>>;
};

/** Registers every metric of `table` in `registry`; prom-client throws on an invalid or duplicate name. */
export function declareMetrics<const T extends MetricTable>(registry: Registry, table: T): DeclaredMetrics<T> {
  const out: Record<string, Counter | Gauge | Histogram> = {};
  for (const [name, spec] of Object.entries(table)) {
    const common = { name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], registers: [registry] };
    switch (spec.type) {
      case MetricType.counter:
        out[name] = new Counter(common);
        break;
      case MetricType.gauge:
        out[name] = new Gauge(common);
        break;
      case MetricType.histogram:
        out[name] = new Histogram(spec.buckets === undefined ? common : { ...common, buckets: [...spec.buckets] });
        break;
    }
  }
  // Built from `table` key by key with the class its `type` names, which is what DeclaredMetrics maps.
  return out as DeclaredMetrics<T>;
}
