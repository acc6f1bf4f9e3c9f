import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { declareMetrics } from '../metrics/declare-metrics.js';
import { createMetricsRegistry } from '../metrics/metrics-registry.js';
import { startAdminServer, type AdminServer, type Readiness } from './admin-server.js';

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(ready: () => Readiness | Promise<Readiness>, extra: { readyTimeoutMs?: number } = {}): Promise<AdminServer> {
  const registry = createMetricsRegistry({ service: 'edge', processMetrics: false });
  const metrics = declareMetrics(registry, { sipmesh_edge_requests_total: { type: 'counter', help: 'SIP requests', labelNames: ['method'] } });
  metrics.sipmesh_edge_requests_total.inc({ method: 'OPTIONS' });
  server = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    ready,
    ...extra,
    routes: (app) => {
      app.get('/admin/boom', () => {
        throw new Error('kaput');
      });
      app.get('/admin/teapot', () => {
        throw Object.assign(new Error('short and stout'), { status: 418, code: 'EDGE_TEAPOT' });
      });
      app.get('/admin/echo', (req, res) => {
        res.json({ q: req.query['q'] });
      });
    },
  });
  return server;
}

describe('admin server', () => {
  it('binds port 0 to a free port and answers /health', async () => {
    const s = await start(() => true);
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('reports readiness with reasons', async () => {
    let verdict: Readiness = { ready: false, reasons: ['nats: reconnecting', 'routes: not loaded'] };
    const s = await start(() => Promise.resolve(verdict));
    let res = await fetch(`${s.url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not-ready', code: 'ADMIN_NOT_READY', reasons: ['nats: reconnecting', 'routes: not loaded'] });
    verdict = true;
    res = await fetch(`${s.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('is not ready when the check throws or hangs', async () => {
    const s = await start(() => {
      throw new Error('database down');
    });
    let res = await fetch(`${s.url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ reasons: ['database down'] });
    await s.close();
    const slow = await start(() => new Promise<boolean>(() => undefined), { readyTimeoutMs: 50 });
    res = await fetch(`${slow.url}/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ reasons: ['readiness check took longer than 50 ms'] });
  });

  it('serves metrics in the Prometheus text format', async () => {
    const s = await start(() => true);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('sipmesh_edge_requests_total{method="OPTIONS",service="edge"} 1\n');
  });

  it('answers unknown routes and errors with JSON carrying a code', async () => {
    const s = await start(() => true);
    let res = await fetch(`${s.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'ADMIN_NOT_FOUND', message: 'no route GET /nope' } });
    res = await fetch(`${s.url}/admin/boom`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'ADMIN_INTERNAL', message: 'kaput' } });
    res = await fetch(`${s.url}/admin/teapot`);
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ error: { code: 'EDGE_TEAPOT', message: 'short and stout' } });
    res = await fetch(`${s.url}/admin/echo?q=1`);
    expect(await res.json()).toEqual({ q: '1' });
  });

  it('closes promptly with an idle keep-alive connection open, then refuses connections', async () => {
    const s = await start(() => true);
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request(`${s.url}/health`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    const started = Date.now();
    await s.close();
    server = undefined;
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    agent.destroy();
  });
});
