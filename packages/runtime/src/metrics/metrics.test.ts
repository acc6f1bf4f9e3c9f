import { describe, expect, it } from 'vitest';
import { declareMetrics } from './declare-metrics.js';
import { createMetricsRegistry } from './metrics-registry.js';

describe('metrics', () => {
  it('declares typed metrics from one table and renders them with the service label', async () => {
    const registry = createMetricsRegistry({ service: 'edge', labels: { instance: 'edge-1' }, processMetrics: false });
    const metrics = declareMetrics(registry, {
      sipmesh_edge_requests_total: { type: 'counter', help: 'SIP requests received', labelNames: ['method'] },
      sipmesh_edge_transactions: { type: 'gauge', help: 'Live transactions' },
      sipmesh_edge_route_seconds: { type: 'histogram', help: 'Route request latency', labelNames: ['policy'], buckets: [0.01, 0.1] },
    });
    metrics.sipmesh_edge_requests_total.inc({ method: 'INVITE' });
    metrics.sipmesh_edge_requests_total.inc({ method: 'INVITE' });
    metrics.sipmesh_edge_transactions.set(3);
    metrics.sipmesh_edge_route_seconds.observe({ policy: 'default' }, 0.05);
    const text = await registry.metrics();
    expect(text).toContain('# HELP sipmesh_edge_requests_total SIP requests received\n# TYPE sipmesh_edge_requests_total counter\n');
    expect(text).toContain('sipmesh_edge_requests_total{method="INVITE",service="edge",instance="edge-1"} 2\n');
    expect(text).toContain('sipmesh_edge_transactions{service="edge",instance="edge-1"} 3\n');
    expect(text).toContain('sipmesh_edge_route_seconds_bucket{le="0.01",service="edge",instance="edge-1",policy="default"} 0\n');
    expect(text).toContain('sipmesh_edge_route_seconds_bucket{le="0.1",service="edge",instance="edge-1",policy="default"} 1\n');
    expect(text).not.toContain('process_cpu');
  });

  it('adds process metrics when asked', async () => {
    const registry = createMetricsRegistry({ service: 'router' });
    expect(await registry.metrics()).toContain('process_cpu_user_seconds_total{service="router"}');
  });

  it('keeps registries apart and refuses a duplicate name in one registry', () => {
    const a = createMetricsRegistry({ service: 'a', processMetrics: false });
    const b = createMetricsRegistry({ service: 'b', processMetrics: false });
    const table = { sipmesh_x_total: { type: 'counter', help: 'x' } } as const;
    declareMetrics(a, table);
    declareMetrics(b, table);
    expect(() => declareMetrics(a, table)).toThrow(/already been registered/);
  });
});
