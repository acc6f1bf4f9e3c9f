/**
 * OPTIONS probes on behalf of other services (Kamailio dispatcher's keep-alive pings): the router
 * never speaks SIP, so it asks an edge to send one OPTIONS and tell it the final answer and the
 * round-trip time. The probe is a thin use of the edge's `RequestSender`, so it behaves on the wire
 * exactly as any other request from this edge (a non-INVITE client transaction, Timer F bounded by
 * the probe's timeout).
 */
import type { OptionsProbeParams, OptionsProbeResult } from '@sipmesh/contracts';
import type { RequestSender } from '../uac/request-sender.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export class OptionsProber {
  constructor(
    private readonly edgeId: string,
    private readonly sender: RequestSender,
  ) {}

  /** Rejects with `RequestError` when the probe cannot be sent at all. */
  async probe(params: OptionsProbeParams): Promise<OptionsProbeResult> {
    const r = await this.sender.send({
      method: 'OPTIONS',
      uri: params.uri,
      dstUri: params.dst_uri,
      from: params.from,
      to: params.uri,
      timeoutMs: params.timeout_ms ?? DEFAULT_PROBE_TIMEOUT_MS,
    });
    return { status: r.status, reason: r.reason, local: r.local, rtt_ms: r.rttMs, edge: this.edgeId };
  }
}
