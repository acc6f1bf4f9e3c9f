/**
 * The admin HTTP endpoint of a service: liveness, readiness, Prometheus metrics, and any
 * service-specific routes. Every answer is JSON except /metrics; errors carry a stable code.
 *
 * - `GET /health`: the process is alive and its event loop answers (always 200).
 * - `GET /ready`: 200 when the service can take work, 503 with reasons otherwise; a
 *   readiness check that throws or exceeds `readyTimeoutMs` counts as not ready.
 * - `GET /metrics`: the registry in the Prometheus text format.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';

/** `true`/`false`, or a verdict with the reasons for not being ready. */
export type Readiness = boolean | { readonly ready: boolean; readonly reasons?: readonly string[] };

export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port; read it from `AdminServer.port`. */
  port: number;
  registry: Registry;
  ready: () => Readiness | Promise<Readiness>;
  /** Adds routes after the built-in ones and before the 404/error handlers. */
  routes?: (app: Express) => void;
  /** Longest wait for `ready()`. Default 2 000 ms. */
  readyTimeoutMs?: number;
  /** How long `close()` lets open requests finish before cutting connections. Default 5 000 ms. */
  closeGraceMs?: number;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Stops accepting, lets running requests finish (up to the grace period), then closes. */
  close(): Promise<void>;
}

export const AdminErrorCode = {
  notFound: 'ADMIN_NOT_FOUND',
  internal: 'ADMIN_INTERNAL',
  notReady: 'ADMIN_NOT_READY',
} as const;

export function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const app = buildAdminApp(options);
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port, options.host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({ host, port, url: `http://${urlHost}:${port}`, close: () => closeServer(server, options.closeGraceMs ?? 5_000) });
    });
  });
}

export function buildAdminApp(options: AdminServerOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  const startedAt = Date.now();
  const readyTimeoutMs = options.readyTimeoutMs ?? 2_000;

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
  });

  app.get('/ready', async (_req, res) => {
    const verdict = await checkReadiness(options.ready, readyTimeoutMs);
    if (verdict.ready) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not-ready', code: AdminErrorCode.notReady, reasons: verdict.reasons });
  });

  app.get('/metrics', async (_req, res) => {
    const text = await options.registry.metrics();
    res.type(options.registry.contentType).send(text);
  });

  options.routes?.(app);

  app.use((req, res) => {
    res.status(404).json({ error: { code: AdminErrorCode.notFound, message: `no route ${req.method} ${req.path}` } });
  });

  // Express recognises an error handler by its four parameters.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = httpStatusOf(error);
    const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : AdminErrorCode.internal;
    const message = error instanceof Error ? error.message : String(error);
    res.status(status).json({ error: { code, message } });
  });

  return app;
}

async function checkReadiness(ready: AdminServerOptions['ready'], timeoutMs: number): Promise<{ ready: boolean; reasons: readonly string[] }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const verdict = await Promise.race([
      Promise.resolve().then(ready),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`readiness check took longer than ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (typeof verdict === 'boolean') return { ready: verdict, reasons: verdict ? [] : ['not ready'] };
    return { ready: verdict.ready, reasons: verdict.reasons ?? (verdict.ready ? [] : ['not ready']) };
  } catch (error) {
    return { ready: false, reasons: [error instanceof Error ? error.message : String(error)] };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function httpStatusOf(error: unknown): number {
  const candidate = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 600 ? candidate : 500;
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    // Keep-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
  });
}
