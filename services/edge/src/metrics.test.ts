import { createMetricsRegistry } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { createEdgeMetrics } from './metrics.js';

describe('edge metrics', () => {
  it('reads gauges from their source at scrape time, so a scrape right after a change sees it', async () => {
    const registry = createMetricsRegistry({ service: 'edge', processMetrics: false });
    const metrics = createEdgeMetrics(registry);
    let suspended = 5;
    metrics.readGaugesFrom({ sipmesh_edge_transactions_live: () => 7, sipmesh_edge_suspended: () => suspended, sipmesh_edge_tcp_connections: () => 0, sipmesh_edge_calls_open: () => 0, sipmesh_edge_event_spool_bytes: () => 0, sipmesh_edge_event_spool_messages: () => 0 });
    expect(await registry.metrics()).toContain('sipmesh_edge_suspended{service="edge"} 5\n');
    suspended = 0;
    const text = await registry.metrics();
    expect(text).toContain('sipmesh_edge_suspended{service="edge"} 0\n');
    expect(text).toContain('sipmesh_edge_transactions_live{service="edge"} 7\n');
  });

  it('counts by short name under the sipmesh_edge_<name>_total metric', async () => {
    const registry = createMetricsRegistry({ service: 'edge', processMetrics: false });
    const metrics = createEdgeMetrics(registry);
    metrics.inc('route_deadline');
    metrics.inc('route_deadline', 2);
    expect(await registry.metrics()).toContain('sipmesh_edge_route_deadline_total{service="edge"} 3\n');
  });
});
