/**
 * OPTIONS probes on behalf of other services (Kamailio dispatcher's keep-alive pings): the router
 * never speaks SIP, so it asks an edge to send one OPTIONS and tell it the final answer and the
 * round-trip time. The probe is a thin use of the edge's `RequestSender`, so it behaves on the wire
 * exactly as any other request from this edge (a non-INVITE client transaction, Timer F bounded by
 * the probe's timeout). A `crlf` keep-alive to a phone registered over TCP is a CRLFCRLF written on
 * its connection instead.
 */
import type { OptionsProbeParams, OptionsProbeResult } from '@sipmesh/contracts';
import { parseUri } from '../parser/sip-uri.js';
import type { TransportAddress } from '../transport/transport.js';
import type { RequestSender } from '../uac/request-sender.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export class OptionsProber {
  constructor(
    private readonly edgeId: string,
    private readonly sender: RequestSender,
    /** Writes a CRLFCRLF keep-alive on an open stream connection to `dest`; false when none is open. */
    private readonly pingConnection: (dest: TransportAddress) => boolean = () => false,
  ) {}

  /** Rejects with `RequestError` when the probe cannot be sent at all. */
  async probe(params: OptionsProbeParams): Promise<OptionsProbeResult> {
    const stream = params.keepalive === 'crlf' ? streamAddress(params.dst_uri ?? params.uri) : undefined;
    if (stream) {
      // RFC 5626 §3.5.1 keep-alive on the phone's own connection: nothing to wait for.
      const written = this.pingConnection(stream);
      return { status: written ? 200 : 477, reason: written ? 'Keep-alive Sent' : 'No Open Connection', local: true, rtt_ms: 0, edge: this.edgeId };
    }
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

/** The TCP address a URI with an IP host and transport=tcp names; undefined for anything else (UDP gets an OPTIONS). */
function streamAddress(text: string): TransportAddress | undefined {
  const uri = parseUri(text);
  if (!uri || uri.params.get('transport')?.toLowerCase() !== 'tcp') return undefined;
  const ip = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  return { transport: 'tcp', ip, port: uri.port ?? 5060 };
}
