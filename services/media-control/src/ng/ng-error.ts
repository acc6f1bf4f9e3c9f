/**
 * The ng client's failures, as one error class with stable codes (as the bus's BusError).
 * A caller choosing what to do next (another rtpengine, 503, the SDP unchanged) looks at
 * `code`: a timeout or `load limit` says "try another instance"; an error reply says the
 * command itself was refused (`errorReason`, e.g. "Unknown call-id").
 */

export const NgErrorCode = {
  /** No reply within the request's timeout (retransmissions included), or still queued then. */
  timeout: 'NG_TIMEOUT',
  /** rtpengine answered `result: error`; `errorReason` has its `error-reason`. */
  errorReply: 'NG_ERROR_REPLY',
  /** rtpengine answered `result: load limit` (it refuses new calls: over its CPU/load/session limits). */
  loadLimit: 'NG_LOAD_LIMIT',
  /** A reply to this request whose shape the command does not allow (an offer without `sdp`). */
  badReply: 'NG_BAD_REPLY',
  /** The arguments cannot be encoded (a boolean, a float, null, a cycle). */
  invalidRequest: 'NG_INVALID_REQUEST',
  /** The encoded request does not fit one UDP datagram. */
  requestTooLarge: 'NG_REQUEST_TOO_LARGE',
  /** More requests queued for the instance than the client allows. */
  queueFull: 'NG_QUEUE_FULL',
  /** The caller's AbortSignal fired. */
  aborted: 'NG_ABORTED',
  /** The client was closed before the reply came. */
  closed: 'NG_CLOSED',
  /** The UDP socket could not be bound. */
  socketError: 'NG_SOCKET_ERROR',
} as const;
export type NgErrorCode = (typeof NgErrorCode)[keyof typeof NgErrorCode];

export interface NgErrorDetails {
  /** "host:port" of the rtpengine the request was for. */
  readonly instance: string;
  readonly command: string;
  /** rtpengine's `error-reason`, for `NG_ERROR_REPLY`. */
  readonly errorReason?: string;
  /** Datagrams sent for the request (1 + retransmissions). */
  readonly sends?: number;
  readonly cause?: unknown;
}

export class NgError extends Error {
  override readonly name = 'NgError';
  readonly code: NgErrorCode;
  readonly instance: string;
  readonly command: string;
  readonly errorReason: string | undefined;
  readonly sends: number;

  constructor(code: NgErrorCode, message: string, details: NgErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.instance = details.instance;
    this.command = details.command;
    this.errorReason = details.errorReason;
    this.sends = details.sends ?? 0;
  }
}

export function isNgError(value: unknown, code?: NgErrorCode): value is NgError {
  return value instanceof NgError && (code === undefined || value.code === code);
}
