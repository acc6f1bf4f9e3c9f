/**
 * The admin commands on the bus: `sipmesh.admin.v1.router.<command>` (any one router, queue group)
 * and `sipmesh.admin.v1.routers.<router-id>.<command>` (that router). The request is JSON-RPC 2.0
 * with named `params` (an empty body works for commands without any); the answer carries `result`
 * or `error` (-32601 unknown command, -32602 bad parameters, 404/422 as the HTTP face says).
 */
import { JsonRpcErrorCode, ROUTER_ADMIN_QUEUE, subjects } from '@sipmesh/contracts';
import type { Bus, BusMessage, BusSubscription } from '@sipmesh/runtime';
import type { RouterApp } from '../app.js';
import { ADMIN_COMMANDS, CommandError } from './admin-commands.js';

export function serveAdminOnBus(bus: Bus, routerId: string, router: RouterApp): () => void {
  const subs: BusSubscription[] = [];
  for (const command of ADMIN_COMMANDS) {
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
          msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code: JsonRpcErrorCode.parseError, message: (e as Error).message } })));
          return;
        }
      }
      try {
        const result = await command.run(params, router);
        msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result })));
      } catch (e) {
        const code = e instanceof CommandError ? (e.status === 400 ? JsonRpcErrorCode.invalidParams : e.status) : JsonRpcErrorCode.internalError;
        msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message: (e as Error).message } })));
      }
    };
    subs.push(bus.subscribe(subjects.routerAdmin(command.name), handler, { queue: ROUTER_ADMIN_QUEUE }));
    subs.push(bus.subscribe(subjects.routerInstanceAdmin(routerId, command.name), handler));
  }
  return () => {
    for (const s of subs) s.unsubscribe();
  };
}
