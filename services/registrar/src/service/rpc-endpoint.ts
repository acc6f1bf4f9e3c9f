/**
 * Serves one JSON-RPC request subject of the registrar in the registrar queue group (runtime's
 * serveJsonRpc): the request checked against its contract schema and version, the handler's
 * result answered, a thrown error answered as policyFailed (1003).
 */
import { checkVersion, JsonRpcErrorCode, REGISTRAR_QUEUE, type Validator } from '@sipmesh/contracts';
import { serveJsonRpc, type Bus, type BusMessage, type BusSubscription, type Logger } from '@sipmesh/runtime';

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
  const { subject, logger } = options;
  return serveJsonRpc<{ id?: unknown; params: P }, unknown>({
    bus: options.bus,
    subject,
    queue: options.queue ?? REGISTRAR_QUEUE,
    logger,
    validate: options.validate,
    check: (request) => {
      const version = checkVersion(request.params.version);
      return version.ok ? undefined : { code: JsonRpcErrorCode.unsupportedVersion, message: version.reason };
    },
    handle: (request, msg) => options.handle({ id: typeof request.id === 'string' ? request.id : null, params: request.params, msg }),
    failure: (e) => {
      logger.error({ err: e, subject }, 'registrar request failed');
      return { code: JsonRpcErrorCode.policyFailed, message: (e as Error).message };
    },
    done: (outcome) => options.done?.(outcome.ok ? 'ok' : 'error'),
  });
}
