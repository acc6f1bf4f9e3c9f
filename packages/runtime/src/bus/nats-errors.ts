/** Maps errors thrown by the NATS client to BusError codes, in one place. */
import { ClosedConnectionError, DrainingConnectionError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { BusError, BusErrorCode } from './bus-error.js';

export function busErrorFromNats(error: unknown, subject: string | undefined, fallback: BusErrorCode): BusError {
  if (error instanceof BusError) return error;
  const opts = subject === undefined ? { cause: error } : { subject, cause: error };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ClosedConnectionError) return new BusError(BusErrorCode.closed, 'bus closed', opts);
  if (error instanceof DrainingConnectionError) return new BusError(BusErrorCode.draining, 'bus is draining', opts);
  if (error instanceof TimeoutError) return new BusError(BusErrorCode.timeout, `timed out: ${message}`, opts);
  // A JetStream publish nobody acknowledges means no stream captures the subject
  // (the client reports it as "jetstream is not enabled", with a no-responders cause).
  // The JetStreamNotEnabled class is not exported by the client, hence the name check.
  if ((error instanceof Error && error.name === 'JetStreamNotEnabled') || (error instanceof RequestError && error.isNoResponders())) {
    return new BusError(BusErrorCode.noStream, `no stream captures ${subject ?? 'the subject'}`, opts);
  }
  if (error instanceof RequestError && error.cause instanceof TimeoutError) {
    return new BusError(BusErrorCode.timeout, `timed out: ${message}`, opts);
  }
  if (error instanceof JetStreamApiError) return new BusError(BusErrorCode.streamError, message, opts);
  return new BusError(fallback, message, opts);
}
