/**
 * Serves one JSON-RPC request subject of the registrar in the registrar queue group: parses,
 * checks the request against its contract schema and version, runs the handler and answers;
 * every failure is a JSON-RPC error naming the reason, never a silent drop (the asker would wait
 * for its timeout).
 */
import { checkVersion, JsonRpcErrorCode, REGISTRAR_QUEUE, type Validator } from '@sipmesh/contracts';
import type { Bus, BusMessage, BusSubscription, Logger } from '@sipmesh/runtime';

export interface RpcRequest<P> {
  readonly id: string | null;
  readonly params: P;
  readonly msg: BusMessage;
}

export interface RpcEndpointOptions<P> {
  readonly bus: Bus;
  readonly subject: string;
  readonly validate: Validator<{ id?: unknown; params: P }>;
  readonly logger: Logger;
  /** The JSON-RPC result; a thrown error becomes a JSON-RPC error (1003). */
  readonly handle: (req: RpcRequest<P>) => unknown;
  /** Called with the outcome of each request (metrics). */
  readonly done?: (outcome: 'ok' | 'error') => void;
  /** Queue group; default: the registrar's. */
  readonly queue?: string;
}

export function serveRpc<P extends { version: string }>(options: RpcEndpointOptions<P>): BusSubscription {
  const { bus, subject, logger } = options;
  const fail = (msg: BusMessage, id: string | null, code: number, message: string): void => {
    options.done?.('error');
    logger.warn({ subject, id, code }, message);
    msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })));
  };
  return bus.subscribe(
    subject,
    async (msg) => {
      let body: unknown;
      try {
        body = msg.json<unknown>();
      } catch {
        fail(msg, null, JsonRpcErrorCode.parseError, `${subject}: request is not JSON`);
        return;
      }
      const rawId = (body as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' ? rawId : null;
      const v = options.validate(body);
      if (!v.ok) {
        fail(msg, id, JsonRpcErrorCode.invalidParams, `${subject}: invalid request: ${v.errors.join('; ')}`);
        return;
      }
      const version = checkVersion(v.value.params.version);
      if (!version.ok) {
        fail(msg, id, JsonRpcErrorCode.unsupportedVersion, version.reason);
        return;
      }
      try {
        const result = await options.handle({ id, params: v.value.params, msg });
        msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result })));
        options.done?.('ok');
      } catch (e) {
        logger.error({ err: e, subject, id }, 'registrar request failed');
        fail(msg, id, JsonRpcErrorCode.policyFailed, (e as Error).message);
      }
    },
    { queue: options.queue ?? REGISTRAR_QUEUE },
  );
}
