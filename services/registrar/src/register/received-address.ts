/**
 * The `received` address of a phone behind NAT (Kamailio nathelper fix_nated_register):
 * `sip:<source ip>:<source port>` plus `;transport=` for anything but UDP, the next hop for
 * requests to the binding instead of its unreachable private Contact.
 */

/** Transports an edge receives on (Kamailio proto numbers 1..6 map onto these at the edge). */
export const SipTransport = { udp: 'udp', tcp: 'tcp', tls: 'tls', sctp: 'sctp', ws: 'ws', wss: 'wss' } as const;
export type SipTransport = (typeof SipTransport)[keyof typeof SipTransport];

export interface SourceAddress {
  readonly ip: string;
  readonly port: number;
  readonly transport: SipTransport;
}

export function receivedUri(source: SourceAddress): string {
  // An IPv6 literal needs brackets in a URI (RFC 3261 §19.1.1, RFC 5118).
  const host = source.ip.includes(':') && !source.ip.startsWith('[') ? `[${source.ip}]` : source.ip;
  const transport = source.transport === SipTransport.udp ? '' : `;transport=${source.transport}`;
  return `sip:${host}:${source.port}${transport}`;
}
