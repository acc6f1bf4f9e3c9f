/**
 * Serves one media method (`sipmesh.media.v1.<method>`) in the media queue group: parses,
 * checks the request against the contract (schema, version, method = subject), runs the
 * controller and answers; every failure is a JSON-RPC error with the code the edge decides on,
 * never a silent drop (the edge holds a SIP transaction and would wait for its timeout).
 * The shape is the registrar's serveRpc, with the error mapping of media-control's failures.
 */
import { checkVersion, JsonRpcErrorCode, MEDIA_QUEUE, subjects, type MediaParams, type MediaResult, type Validator, type MediaRequest } from '@sipmesh/contracts';
import type { Bus, BusMessage, BusSubscription, Logger } from '@sipmesh/runtime';
import { MediaError, MediaErrorKind } from '../media-controller.js';

export type MediaMethod = 'offer' | 'answer' | 'delete';

/** How a request ended, for the commands metric. */
export const CommandOutcome = {
  ok: 'ok',
  invalid: 'invalid',
  unavailable: 'unavailable',
  rejected: 'rejected',
  error: 'error',
} as const;
export type CommandOutcome = (typeof CommandOutcome)[keyof typeof CommandOutcome];

export interface MediaRpcOptions {
  readonly bus: Bus;
  readonly method: MediaMethod;
  readonly validate: Validator<MediaRequest>;
  readonly logger: Logger;
  readonly handle: (params: MediaParams) => Promise<MediaResult>;
  readonly done?: (outcome: CommandOutcome, result: MediaResult | undefined) => void;
  /** Queue group; default MEDIA_QUEUE. */
  readonly queue?: string;
}

const ERROR_CODES: Readonly<Record<MediaErrorKind, number>> = {
  [MediaErrorKind.invalid]: JsonRpcErrorCode.invalidParams,
  [MediaErrorKind.unavailable]: JsonRpcErrorCode.mediaUnavailable,
  [MediaErrorKind.rejected]: JsonRpcErrorCode.mediaRejected,
};

export function serveMediaRpc(options: MediaRpcOptions): BusSubscription {
  const { bus, method, logger } = options;
  const subject = subjects.media(method);
  const answer = (msg: BusMessage, body: unknown): void => {
    msg.respond(Buffer.from(JSON.stringify(body)));
  };
  const fail = (msg: BusMessage, id: string | null, outcome: CommandOutcome, code: number, message: string, data?: unknown): void => {
    options.done?.(outcome, undefined);
    answer(msg, { jsonrpc: '2.0', id, error: { code, message, ...(data === undefined ? {} : { data }) } });
  };
  return bus.subscribe(
    subject,
    async (msg) => {
      let body: unknown;
      try {
        body = msg.json<unknown>();
      } catch {
        logger.warn({ subject }, 'media request is not JSON');
        fail(msg, null, CommandOutcome.invalid, JsonRpcErrorCode.parseError, `${subject}: request is not JSON`);
        return;
      }
      const rawId = (body as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' ? rawId : null;
      const v = options.validate(body);
      if (!v.ok) {
        logger.warn({ subject, id, errors: v.errors }, 'invalid media request');
        fail(msg, id, CommandOutcome.invalid, JsonRpcErrorCode.invalidParams, `${subject}: invalid request: ${v.errors.join('; ')}`);
        return;
      }
      if (v.value.method !== method) {
        fail(msg, id, CommandOutcome.invalid, JsonRpcErrorCode.invalidRequest, `${subject}: method "${v.value.method}" sent on the subject of "${method}"`);
        return;
      }
      const version = checkVersion(v.value.params.version);
      if (!version.ok) {
        fail(msg, id, CommandOutcome.invalid, JsonRpcErrorCode.unsupportedVersion, version.reason);
        return;
      }
      const params = v.value.params;
      try {
        const result = await options.handle(params);
        options.done?.(CommandOutcome.ok, result);
        answer(msg, { jsonrpc: '2.0', id, result });
      } catch (error) {
        if (error instanceof MediaError) {
          const level = error.kind === MediaErrorKind.invalid ? 'info' : 'warn';
          logger[level]({ callId: params.call_id, method, instance: error.instance, kind: error.kind }, error.message);
          fail(msg, id, error.kind, ERROR_CODES[error.kind], error.message, error.instance === undefined ? undefined : { instance: error.instance });
          return;
        }
        logger.error({ err: error, callId: params.call_id, method }, 'media request failed');
        fail(msg, id, CommandOutcome.error, JsonRpcErrorCode.internalError, `media-control failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    { queue: options.queue ?? MEDIA_QUEUE },
  );
}
