/**
 * Serves one media method (`sipmesh.media.v1.<method>`) in the media queue group: parses,
 * checks the request against the contract (schema, version, method = subject), runs the
 * controller and answers; every failure is a JSON-RPC error with the code the edge decides on,
 * never a silent drop (the edge holds a SIP transaction and would wait for its timeout).
 * Served by runtime's serveJsonRpc, with the error mapping of media-control's failures.
 */
import { checkVersion, JsonRpcErrorCode, MEDIA_QUEUE, subjects, type MediaParams, type MediaResult, type Validator, type MediaRequest } from '@sipmesh/contracts';
import { serveJsonRpc, type Bus, type BusSubscription, type Logger } from '@sipmesh/runtime';
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
  const { method, logger } = options;
  const subject = subjects.media(method);
  return serveJsonRpc<MediaRequest, MediaResult>({
    bus: options.bus,
    subject,
    queue: options.queue ?? MEDIA_QUEUE,
    logger,
    validate: options.validate,
    check: (request) => {
      if (request.method !== method) return { code: JsonRpcErrorCode.invalidRequest, message: `${subject}: method "${request.method}" sent on the subject of "${method}"` };
      const version = checkVersion(request.params.version);
      return version.ok ? undefined : { code: JsonRpcErrorCode.unsupportedVersion, message: version.reason };
    },
    handle: (request) => options.handle(request.params),
    failure: (error, request) => {
      const callId = request.params.call_id;
      if (error instanceof MediaError) {
        const level = error.kind === MediaErrorKind.invalid ? 'info' : 'warn';
        logger[level]({ callId, method, instance: error.instance, kind: error.kind }, error.message);
        return { code: ERROR_CODES[error.kind], message: error.message, ...(error.instance === undefined ? {} : { data: { instance: error.instance } }) };
      }
      logger.error({ err: error, callId, method }, 'media request failed');
      return { code: JsonRpcErrorCode.internalError, message: `media-control failed: ${error instanceof Error ? error.message : String(error)}` };
    },
    done: (outcome) => {
      if (outcome.ok) options.done?.(CommandOutcome.ok, outcome.result);
      else options.done?.(outcomeOf(outcome.failure.code, outcome.stage), undefined);
    },
  });
}

/** The commands metric's outcome of an answered failure. */
function outcomeOf(code: number, stage: 'parse' | 'invalid' | 'check' | 'handler'): CommandOutcome {
  if (stage !== 'handler') return CommandOutcome.invalid;
  if (code === JsonRpcErrorCode.invalidParams) return CommandOutcome.invalid;
  if (code === JsonRpcErrorCode.mediaUnavailable) return CommandOutcome.unavailable;
  if (code === JsonRpcErrorCode.mediaRejected) return CommandOutcome.rejected;
  return CommandOutcome.error;
}
