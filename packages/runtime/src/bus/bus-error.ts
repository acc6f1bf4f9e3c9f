export const BusErrorCode = {
  noResponders: 'BUS_NO_RESPONDERS',
  timeout: 'BUS_TIMEOUT',
  closed: 'BUS_CLOSED',
  draining: 'BUS_DRAINING',
  invalidSubject: 'BUS_INVALID_SUBJECT',
  payloadTooLarge: 'BUS_PAYLOAD_TOO_LARGE',
  reconnectBufferFull: 'BUS_RECONNECT_BUFFER_FULL',
  noStream: 'BUS_NO_STREAM',
  streamError: 'BUS_STREAM_ERROR',
  connectFailed: 'BUS_CONNECT_FAILED',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

export class BusError extends Error {
  override readonly name = 'BusError';
  readonly code: BusErrorCode;
  /** Subject the failed operation addressed, when there is one. */
  readonly subject: string | undefined;

  constructor(code: BusErrorCode, message: string, opts?: { subject?: string; cause?: unknown }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.subject = opts?.subject;
  }
}

export function isBusError(value: unknown, code?: BusErrorCode): value is BusError {
  return value instanceof BusError && (code === undefined || value.code === code);
}
