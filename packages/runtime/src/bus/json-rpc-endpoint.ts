/**
 * Serves one JSON-RPC 2.0 request subject on the bus: parses the request, checks it against its
 * contract (the caller's validator, then its own checks such as the version), runs the handler
 * and answers. Every failure is a JSON-RPC error naming the reason, never a silent drop: the
 * asker (an edge holding a SIP transaction) would otherwise wait for its timeout. The registrar's
 * and media-control's methods are served with it.
 */
import type { Bus, BusMessage, BusSubscription } from './bus.js';
import type { Logger } from '../logging/create-logger.js';

/** JSON-RPC 2.0's own error codes used here (the contracts' JsonRpcErrorCode has them too). */
const PARSE_ERROR = -32700;
const INVALID_PARAMS = -32602;

export interface JsonRpcFailure {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

export interface JsonRpcEndpointOptions<R, T> {
  readonly bus: Bus;
  readonly subject: string;
  readonly queue: string;
  readonly logger: Logger;
  /** The contract's validator of the whole request. */
  readonly validate: (body: unknown) => { ok: true; value: R } | { ok: false; errors: string[] };
  /** Further checks of a valid request (version, method); a failure is answered as it says. */
  readonly check?: (request: R) => JsonRpcFailure | undefined;
  /** The result; a thrown error is answered with `failure(error)`. */
  readonly handle: (request: R, msg: BusMessage) => T | Promise<T>;
  /** The JSON-RPC error of a thrown error (and how to log it); logged by the caller. */
  readonly failure: (error: unknown, request: R) => JsonRpcFailure;
  /** The outcome of each request: `ok` with its result, or the failure answered. */
  readonly done?: (outcome: { ok: true; result: T } | { ok: false; failure: JsonRpcFailure; stage: 'parse' | 'invalid' | 'check' | 'handler' }) => void;
}

export function serveJsonRpc<R, T>(options: JsonRpcEndpointOptions<R, T>): BusSubscription {
  const { bus, subject, logger } = options;
  const fail = (msg: BusMessage, id: string | null, failure: JsonRpcFailure, stage: 'parse' | 'invalid' | 'check' | 'handler'): void => {
    options.done?.({ ok: false, failure, stage });
    const { code, message, data } = failure;
    msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } })));
  };
  return bus.subscribe(
    subject,
    async (msg) => {
      let body: unknown;
      try {
        body = msg.json<unknown>();
      } catch {
        logger.warn({ subject }, 'request is not JSON');
        fail(msg, null, { code: PARSE_ERROR, message: `${subject}: request is not JSON` }, 'parse');
        return;
      }
      const rawId = (body as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' ? rawId : null;
      const v = options.validate(body);
      if (!v.ok) {
        logger.warn({ subject, id, errors: v.errors }, 'invalid request');
        fail(msg, id, { code: INVALID_PARAMS, message: `${subject}: invalid request: ${v.errors.join('; ')}` }, 'invalid');
        return;
      }
      const refused = options.check?.(v.value);
      if (refused !== undefined) {
        logger.warn({ subject, id, code: refused.code }, refused.message);
        fail(msg, id, refused, 'check');
        return;
      }
      let result: T;
      try {
        result = await options.handle(v.value, msg);
      } catch (error) {
        fail(msg, id, options.failure(error, v.value), 'handler');
        return;
      }
      msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result })));
      options.done?.({ ok: true, result });
    },
    { queue: options.queue },
  );
}
