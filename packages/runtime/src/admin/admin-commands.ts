/**
 * Admin commands named as Kamailio's RPCs (kamcmd `dispatcher.list`, `ul.dump`, ...), served by
 * every service alike over its admin HTTP API (`GET /rpc` lists them, `POST /rpc/<command>` with a
 * JSON body of named parameters runs one) and over the bus (JSON-RPC 2.0 with named `params`:
 * on a subject any one instance answers, queue group, and on one per instance). The answer carries
 * `result` or `error`: -32601 unknown command, -32602 bad parameters, -32700 unreadable request,
 * 404/422 as the HTTP face says.
 */
import express, { type Express } from 'express';
import type { Bus, BusMessage, BusSubscription } from '../bus/bus.js';

export class CommandError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422 | 500 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminCommand<T> {
  readonly name: string;
  readonly help: string;
  run(params: Readonly<Record<string, unknown>>, target: T): unknown;
}

/** A string parameter (numbers accepted as their text), or 400. */
export function stringParam(p: Readonly<Record<string, unknown>>, name: string): string {
  const v = p[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new CommandError(400, `parameter ${name} (string) is missing`);
}

/** An integer parameter (or its text), the fallback when absent, or 400. */
export function intParam(p: Readonly<Record<string, unknown>>, name: string, fallback?: number): number {
  const v = p[name] ?? fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new CommandError(400, `parameter ${name} (integer) is missing`);
  return n;
}

export interface AdminBusSubjects {
  /** Subject of a command on which any one instance answers (queue group `queue`). */
  readonly any: (command: string) => string;
  /** Subject of a command for this instance. */
  readonly instance: (command: string) => string;
  readonly queue: string;
}

const JSONRPC_PARSE_ERROR = -32700;
const JSONRPC_INVALID_PARAMS = -32602;
const JSONRPC_INTERNAL_ERROR = -32603;

/** Serves every command on the bus; returns the function that stops serving them. */
export function serveAdminCommandsOnBus<T>(bus: Bus, names: AdminBusSubjects, commands: readonly AdminCommand<T>[], target: T): () => void {
  const subs: BusSubscription[] = [];
  for (const command of commands) {
    const handler = async (msg: BusMessage): Promise<void> => {
      let id: unknown = null;
      let params: Record<string, unknown> = {};
      if (msg.data.length > 0) {
        try {
          const body = msg.json<{ id?: unknown; params?: unknown }>();
          id = body.id ?? null;
          if (body.params !== undefined && (typeof body.params !== 'object' || body.params === null || Array.isArray(body.params))) throw new Error('params must be an object');
          params = (body.params ?? {}) as Record<string, unknown>;
        } catch (e) {
          msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code: JSONRPC_PARSE_ERROR, message: (e as Error).message } })));
          return;
        }
      }
      try {
        const result = await command.run(params, target);
        msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result })));
      } catch (e) {
        const code = e instanceof CommandError ? (e.status === 400 ? JSONRPC_INVALID_PARAMS : e.status) : JSONRPC_INTERNAL_ERROR;
        msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message: (e as Error).message } })));
      }
    };
    subs.push(bus.subscribe(names.any(command.name), handler, { queue: names.queue }));
    subs.push(bus.subscribe(names.instance(command.name), handler));
  }
  return () => {
    for (const s of subs) s.unsubscribe();
  };
}

/** `GET /rpc` (the list) and `POST /rpc/<command>` on an admin HTTP app; `errorPrefix` names the service in error codes (`ROUTER_ERR`). */
export function mountAdminCommands<T>(app: Express, commands: readonly AdminCommand<T>[], target: T, errorPrefix: string): void {
  app.get('/rpc', (_req, res) => {
    res.json({ commands: commands.map((c) => ({ name: c.name, help: c.help })) });
  });
  app.post('/rpc/:command', express.json(), async (req, res) => {
    const command = commands.find((c) => c.name === req.params.command);
    if (!command) {
      res.status(404).json({ error: { code: `${errorPrefix}_UNKNOWN_COMMAND`, message: `no command ${req.params.command ?? ''} (GET /rpc lists them)` } });
      return;
    }
    try {
      res.json(await command.run((req.body ?? {}) as Record<string, unknown>, target));
    } catch (e) {
      const status = e instanceof CommandError ? e.status : 500;
      res.status(status).json({ error: { code: `${errorPrefix}_COMMAND_FAILED`, message: (e as Error).message } });
    }
  });
}
